-- conversion_touches: every conversion report of one compacted day (day_events: the day's rows
-- as compact.sql selects them) with the customer's latest click and latest impression at the
-- destination brand before it (latest.sql), searched over the day itself and the compacted
-- days of the :lookback_days before it (the longest click window a report accepts, plus one).
-- The funnel credits orders from these rows for any window up to that length.
-- prev_day: the day of the same order's report before this one (by time, then event id), the
-- same day or on a compacted day since :repeat_from (as far back as the longest period a report
-- covers); null for an order's first report. A report counts in a period only if prev_day is
-- null or falls before the period: an order counts once, on the day of its first report in it.
WITH
conv_source AS (
  SELECT event_id, event_ts, dt AS day, destination_brand, customer_hash, order_id, value, currency, channel
  FROM day_events
  WHERE event_type = 'conversion'
),
touch_source AS (
  SELECT event_type, event_ts, decision_id, campaign_id, creative_id, site_id, source_brand,
    destination_brand, customer_hash, coalesce(device, 'unknown') AS device
  FROM day_events
  WHERE event_type IN ('click', 'impression') AND customer_hash IN (SELECT customer_hash FROM conv_source)
  UNION ALL
  SELECT event_type, event_ts, decision_id, campaign_id, creative_id, site_id, source_brand,
    destination_brand, customer_hash, coalesce(device, 'unknown') AS device
  FROM events_parquet
  WHERE dt BETWEEN :lookback_from AND :lookback_until
    AND event_type IN ('click', 'impression') AND customer_hash IN (SELECT customer_hash FROM conv_source)
),
{latest},
earlier AS (
  SELECT destination_brand, order_id, max(dt) AS prev_day
  FROM conversion_touches
  WHERE dt BETWEEN :repeat_from AND :lookback_until AND order_id IN (SELECT order_id FROM conv_source)
  GROUP BY destination_brand, order_id
),
ranked AS (
  SELECT l.*,
    row_number() OVER (PARTITION BY destination_brand, order_id ORDER BY event_ts, event_id) AS nth
  FROM latest AS l
)
SELECT
  r.event_id, r.event_ts, r.destination_brand, r.customer_hash, r.order_id, r.value, r.currency, r.channel,
  CASE WHEN r.nth > 1 THEN r.day ELSE e.prev_day END AS prev_day,
  r.click_ts, r.click_campaign_id, r.click_creative_id, r.click_site_id, r.click_source_brand, r.click_device,
  r.view_ts, r.view_campaign_id, r.view_creative_id, r.view_site_id, r.view_source_brand, r.view_device,
  r.day AS dt
FROM ranked AS r
LEFT JOIN earlier AS e ON e.destination_brand = r.destination_brand AND e.order_id = r.order_id
ORDER BY r.destination_brand, r.event_ts, r.event_id
