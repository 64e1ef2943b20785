"""Every injector, keyed by check id: adding a check to the catalog means adding one here.

Order injectors turn one clean order; hour injectors act on the orders of one hour; invoice
injectors add a carrier charge; stock injectors bend one position on one day.
"""

from __future__ import annotations

from .anomalies import HOUR_INJECTORS, ORDER_INJECTORS
from .billing import INVOICE_INJECTORS
from .stock import STOCK_INJECTORS

INJECTORS: dict[str, object] = {**ORDER_INJECTORS, **HOUR_INJECTORS, **INVOICE_INJECTORS, **STOCK_INJECTORS}
# Checks the demo world never raises, and what tests them instead.
NOT_SIMULATED = {
    "order_inputs_quarantined": "the demo world delivers no bad rows; tests/test_corpus_flow.py, "
    "tests/test_nothing_silent.py and the marketplace example do",
}
