-- grain: one row per invoice billing more weight than was declared, beyond tolerance
-- offends when: billed weight exceeds the shipment's declared weight by more than `weight_tolerance_pct` percent
-- began_at: when the invoice arrived: invoiced_at
select
    invoice_id as entity_id,
    carrier,
    tracking_number,
    shipment_id,
    declared_weight_kg,
    billed_weight_kg,
    charged_amount,
    invoiced_at as began_at,
    round(charged_amount * (1 - declared_weight_kg / billed_weight_kg), 2) as amount_at_risk
from core.carrier_billing
where shipment_count > 0
  and billed_weight_kg > declared_weight_kg * (1 + getvariable('weight_tolerance_pct') / 100)
