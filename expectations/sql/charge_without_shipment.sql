-- grain: one row per invoice for a tracking number we never shipped
-- offends when: the tracking number was never on any of our shipments
-- began_at: when the invoice arrived: invoiced_at
select
    invoice_id as entity_id,
    carrier,
    tracking_number,
    service,
    invoiced_at,
    billed_weight_kg,
    invoiced_at as began_at,
    charged_amount as amount_at_risk
from core.carrier_billing
where shipment_count = 0
