-- conversion_touches: every conversion report of one compacted day (day_events: the day's rows
-- as compact.sql selects them) with the customer's latest click and latest impression at the
-- destination brand before it (latest.sql), searched over the day itself and the compacted
-- days of the :lookback_days before it (the longest click window a report accepts, plus one).
-- The funnel credits orders from these rows for any window up to that length.
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
{latest}
SELECT
  event_id, event_ts, destination_brand, customer_hash, order_id, value, currency, channel,
  click_ts, click_campaign_id, click_creative_id, click_site_id, click_source_brand, click_device,
  view_ts, view_campaign_id, view_creative_id, view_site_id, view_source_brand, view_device,
  day AS dt
FROM latest
ORDER BY destination_brand, event_ts, event_id
