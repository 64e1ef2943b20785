from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from retaguarda.calendar import BusinessCalendar, brazil_holidays

SP = ZoneInfo("America/Sao_Paulo")
CAL = BusinessCalendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)


def test_national_holidays_2026():
    # the list published for 2026 (Lei 662/1949, 6.802/1980, 14.759/2023) plus the days businesses close
    assert brazil_holidays(2026) == {
        date(2026, 1, 1), date(2026, 2, 16), date(2026, 2, 17), date(2026, 4, 3), date(2026, 4, 21),
        date(2026, 5, 1), date(2026, 6, 4), date(2026, 9, 7), date(2026, 10, 12), date(2026, 11, 2),
        date(2026, 11, 15), date(2026, 11, 20), date(2026, 12, 25),
    }


def test_movable_holidays_follow_easter():
    # Good Friday, Carnival Tuesday and Corpus Christi from published Easter dates
    for easter_sunday in (date(2024, 3, 31), date(2025, 4, 20), date(2027, 3, 28), date(2038, 4, 25)):
        holidays = brazil_holidays(easter_sunday.year)
        assert {easter_sunday - timedelta(days=2), easter_sunday - timedelta(days=47),
                easter_sunday + timedelta(days=60)} <= holidays


def test_state_holidays_when_a_subdivision_is_named():
    revolution = date(2026, 7, 9)  # Sao Paulo's Constitutionalist Revolution, a Thursday
    assert CAL.is_working_day(revolution)
    assert not BusinessCalendar(subdivision="SP").is_working_day(revolution)
    assert BusinessCalendar(subdivision="RJ").is_working_day(revolution)


def test_extra_holidays_close_the_day():
    anniversary = date(2026, 1, 26)  # a Monday
    calendar = BusinessCalendar(extra_holidays=(anniversary,))
    assert CAL.is_working_day(anniversary) and not calendar.is_working_day(anniversary)
    assert not BusinessCalendar(holidays="none", extra_holidays=(anniversary,)).is_working_day(anniversary)


def test_any_span_of_business_time():
    start = local(2026, 3, 2, 9)
    later = CAL.add_business_hours(start, 9 * 250 * 30)  # about thirty working years
    assert later.year >= 2055
    assert CAL.business_hours_between(start, later) == pytest.approx(9 * 250 * 30)


def test_working_days():
    assert CAL.is_working_day(date(2026, 11, 19))  # Thursday
    assert not CAL.is_working_day(date(2026, 11, 20))  # Consciencia Negra, a Friday
    assert not CAL.is_working_day(date(2026, 11, 21))  # Saturday
    assert BusinessCalendar(holidays="none").is_working_day(date(2026, 11, 20))


def test_friday_evening_plus_two_hours_is_monday_morning():
    result = CAL.add_business_hours(local(2026, 11, 27, 17), 2)
    assert result == local(2026, 11, 30, 10)
    assert result.tzinfo == UTC


def test_add_skips_holiday_and_weekend():
    # Thursday 17:00 before the Friday holiday: 1 h on Thursday, 1 h on Monday
    assert CAL.add_business_hours(local(2026, 11, 19, 17), 2) == local(2026, 11, 23, 10)


def test_add_before_opening_and_exact_close():
    assert CAL.add_business_hours(local(2026, 11, 24, 6), 1) == local(2026, 11, 24, 10)
    assert CAL.add_business_hours(local(2026, 11, 24, 17), 1) == local(2026, 11, 24, 18)
    assert CAL.add_business_hours(local(2026, 11, 24, 18), 0.5) == local(2026, 11, 25, 9, 30)


def test_hours_across_a_weekend():
    assert CAL.business_hours_between(local(2026, 11, 27, 15), local(2026, 11, 30, 11)) == 5
    assert CAL.business_hours_between(local(2026, 11, 28, 10), local(2026, 11, 29, 20)) == 0
    assert CAL.business_hours_between(local(2026, 11, 30, 11), local(2026, 11, 27, 15)) == 0


def test_hours_across_holiday():
    # Thursday 12:00 -> Monday 12:00 over the Friday holiday: 6 h + 3 h
    assert CAL.business_hours_between(local(2026, 11, 19, 12), local(2026, 11, 23, 12)) == 9


def test_add_and_between_agree():
    start = local(2026, 12, 22, 16, 25)
    for hours in (0.5, 3, 9, 16, 24, 40.25):
        later = CAL.add_business_hours(start, hours)
        assert CAL.business_hours_between(start, later) == pytest.approx(hours)


def test_working_days_rows_are_utc():
    rows = CAL.working_days(date(2026, 11, 19), date(2026, 11, 24))
    assert [d for d, _, _ in rows] == [date(2026, 11, 19), date(2026, 11, 23), date(2026, 11, 24)]
    day, opens, closes = rows[0]
    assert opens == datetime(2026, 11, 19, 12, tzinfo=UTC)
    assert closes - opens == timedelta(hours=9)


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        CAL.business_hours_between(local(2026, 1, 5, 10).replace(tzinfo=None), local(2026, 1, 6))
    with pytest.raises(ValueError):
        BusinessCalendar(holidays="US")
    with pytest.raises(ValueError):
        BusinessCalendar(open_hour=18, close_hour=9)
    with pytest.raises(ValueError):
        BusinessCalendar(subdivision="XX")
