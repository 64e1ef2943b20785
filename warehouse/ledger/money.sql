-- grain: one row: the money at risk in the active ledger, each entity's value counted once.
-- An exception about an order, one of its lines or one of its shipments counts towards that
-- order; one about a tracking number shared by several orders towards each of them. An
-- order counts the largest amount among its exceptions, never more than the order's total.
-- Anything else (a stock position, a carrier invoice: the carrier's money, not the order's)
-- counts the largest amount among its own exceptions.
with active as (
    select check_id, entity_type, entity_id, amount_at_risk, evidence
    from exceptions.ledger
    where status <> 'resolved'
),

keyed as (
    select
        active.*,
        unnest(case
            when entity_type = 'order' then [entity_id]
            when entity_type = 'invoice' then [null]
            when json_extract_string(evidence, '$.order_id') is not null
                then [json_extract_string(evidence, '$.order_id')]
            when json_extract_string(evidence, '$.orders') is not null
                then string_split(json_extract_string(evidence, '$.orders'), ', ')
            else [null]
        end) as order_id
    from active
),

per_entity as (
    select
        coalesce('order:' || keyed.order_id, keyed.entity_type || ':' || keyed.entity_id) as money_key,
        max(keyed.amount_at_risk) as amount,
        max(orders.total_amount) as order_total
    from keyed
    left join staging.orders as orders on keyed.order_id = orders.order_id
    group by 1
),

final as (
    select
        coalesce(sum(
            case when order_total is null then amount else least(amount, greatest(order_total, 0)) end
        ), 0)::decimal(38, 2) as money_at_risk
    from per_entity
)

select * from final
