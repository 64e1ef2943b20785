-- grain: one row per order, with what order capture found wrong with it.
-- capture_ok orders go on to the later stages; the others are held at capture.
-- Built for the orders in scope_orders only (warehouse/incremental.py): all of them in a full
-- build, the ones whose inputs changed in an incremental one.
create or replace table core.order_capture as
with orders as (
    select * from staging.orders where order_id in (select order_id from scope_orders)
),

lines as (
    select * from staging.order_lines where order_id in (select order_id from scope_orders)
),

catalog as (
    select sku from staging.skus
),

line_totals as (
    select
        lines.order_id,
        count(*) as line_count,
        sum(lines.quantity * lines.unit_price) as lines_amount,
        list(lines.order_id || ':' || lines.line_no order by lines.line_no)
            filter (where catalog.sku is null) as unknown_sku_lines
    from lines
    left join catalog on lines.sku = catalog.sku
    group by lines.order_id
),

field_problems as (
    select
        order_id,
        list_filter([
            case when customer_id is null then 'missing customer_id' end,
            case when placed_at is null then 'missing placed_at' end,
            case when total_amount < 0 then 'negative total_amount' end,
            case when shipping_amount < 0 then 'negative shipping_amount' end,
            case when discount_amount < 0 then 'negative discount_amount' end,
            case
                when currency is null or not list_contains(getvariable('accepted_currencies'), currency)
                    then 'unknown currency ' || coalesce(currency, 'null')
            end,
            case
                when placed_at > getvariable('as_of') + to_minutes(getvariable('clock_skew_minutes')::bigint)
                    then 'placed_at in the future'
            end
        ], problem -> problem is not null) as invalid_fields
    from orders
),

checked as (
    select
        orders.*,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.lines_amount, 0) as lines_amount,
        coalesce(line_totals.lines_amount, 0) + orders.shipping_amount - orders.discount_amount
            as expected_total,
        field_problems.invalid_fields,
        coalesce(line_totals.unknown_sku_lines, []) as unknown_sku_lines
    from orders
    inner join field_problems on orders.order_id = field_problems.order_id
    left join line_totals on orders.order_id = line_totals.order_id
),

final as (
    select
        *,
        len(invalid_fields) = 0 as fields_valid,
        abs(expected_total - total_amount) > getvariable('money_tolerance') as total_mismatch,
        fields_valid and not total_mismatch and len(unknown_sku_lines) = 0 as capture_ok
    from checked
)

select * from final;
