-- grain: one row per (order_id, line_no) of the order's latest version
-- every order version's lines by latest_order_lines() (staging.order_lines_history, from the
-- canonical model); the lines of the version staging.orders kept at as_of are the order's lines.
create or replace table staging.order_lines as
select lines.* exclude (order_updated_at)
from latest_order_lines() as lines
inner join staging.orders as orders
    on lines.order_id = orders.order_id and lines.order_updated_at = orders.updated_at;
