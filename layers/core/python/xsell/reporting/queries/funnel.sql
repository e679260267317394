-- Daily funnel per campaign, creative (variant), source site, destination brand and device:
-- decide's requests and served slots, impressions, clicks, holdout exposures, and the orders
-- credited to each (credited.sql's rule; s2s_conversions: those the destination's server
-- reported, signed, rather than the browser tag; both paths are counted). Compacted days are read
-- from their rollups only (funnel_daily for the counts, conversion_touches for the orders), the
-- days not compacted yet from the raw events; each branch reads only the columns it needs.
-- An order (destination brand + order id) counts once in the period, on the day of its first
-- report in it (by time, then event id): on compacted days conversion_touches.prev_day says
-- whether an earlier report falls in the period; reports on days not compacted are ranked here.
WITH
-- raw days: begin
fresh AS (
{fresh}
),
conv_source AS (
  SELECT event_id, event_ts, day, destination_brand, customer_hash, order_id, value, currency, channel
  FROM fresh
  WHERE event_type = 'conversion' AND day BETWEEN :date_from AND :date_until
),
touch_source AS (
  SELECT event_type, event_ts, decision_id, campaign_id, creative_id, site_id, source_brand,
    destination_brand, customer_hash, coalesce(device, 'unknown') AS device
  FROM fresh
  WHERE event_type IN ('click', 'impression') AND customer_hash IN (SELECT customer_hash FROM conv_source)
  UNION ALL
  -- touches on compacted days of the customers who ordered on a day not compacted yet
  SELECT event_type, event_ts, decision_id, campaign_id, creative_id, site_id, source_brand,
    destination_brand, customer_hash, coalesce(device, 'unknown') AS device
  FROM events_parquet
  WHERE dt BETWEEN :scan_from AND :scan_until AND strpos(:compacted_days, dt) > 0
    AND event_type IN ('click', 'impression') AND customer_hash IN (SELECT customer_hash FROM conv_source)
),
{latest},
-- the first report of each order among those on days not compacted yet, and the first report on
-- a compacted day of the period of the same orders (a compacted day and a day not compacted are
-- different days, so their reports never tie)
fresh_first AS (
  SELECT * FROM (
    SELECT l.*,
      row_number() OVER (PARTITION BY destination_brand, order_id ORDER BY event_ts, event_id) AS nth
    FROM latest AS l
  ) AS ranked
  WHERE nth = 1
),
compacted_first AS (
  SELECT c.destination_brand, c.order_id, min(c.event_ts) AS first_ts
  FROM conversion_touches AS c
  JOIN fresh_first AS f ON f.destination_brand = c.destination_brand AND f.order_id = c.order_id
  WHERE c.dt BETWEEN :date_from AND :date_until AND strpos(:compacted_days, c.dt) > 0
  GROUP BY c.destination_brand, c.order_id
),
-- raw days: end
orders AS (
  SELECT c.event_ts, c.dt AS day, c.destination_brand, c.value, c.channel,
    c.click_ts, c.click_campaign_id, c.click_creative_id, c.click_site_id, c.click_source_brand, c.click_device,
    c.view_ts, c.view_campaign_id, c.view_creative_id, c.view_site_id, c.view_source_brand, c.view_device
  FROM conversion_touches AS c
  -- raw days: begin
  LEFT JOIN fresh_first AS f ON f.destination_brand = c.destination_brand AND f.order_id = c.order_id
  -- raw days: end
  WHERE c.dt BETWEEN :date_from AND :date_until AND strpos(:compacted_days, c.dt) > 0
    AND (c.prev_day IS NULL OR c.prev_day < :date_from)
    -- raw days: begin
    AND (f.event_ts IS NULL OR f.event_ts > c.event_ts)
  UNION ALL
  SELECT f.event_ts, f.day, f.destination_brand, f.value, f.channel,
    f.click_ts, f.click_campaign_id, f.click_creative_id, f.click_site_id, f.click_source_brand, f.click_device,
    f.view_ts, f.view_campaign_id, f.view_creative_id, f.view_site_id, f.view_source_brand, f.view_device
  FROM fresh_first AS f
  LEFT JOIN compacted_first AS c ON c.destination_brand = f.destination_brand AND c.order_id = f.order_id
  WHERE c.first_ts IS NULL OR c.first_ts > f.event_ts
  -- raw days: end
),
judged AS (
  SELECT o.*,
    CASE
      WHEN click_ts IS NOT NULL AND event_ts <= click_ts + :click_window_days * INTERVAL '1' DAY THEN 'click'
      WHEN view_ts IS NOT NULL AND event_ts <= view_ts + :view_window_days * INTERVAL '1' DAY THEN 'impression'
    END AS touch
  FROM orders AS o
),
credited AS (
  SELECT day, touch, value, channel, destination_brand,
    CASE WHEN touch = 'click' THEN click_campaign_id ELSE view_campaign_id END AS campaign_id,
    CASE WHEN touch = 'click' THEN click_creative_id ELSE view_creative_id END AS creative_id,
    CASE WHEN touch = 'click' THEN click_site_id ELSE view_site_id END AS site_id,
    CASE WHEN touch = 'click' THEN click_source_brand ELSE view_source_brand END AS source_brand,
    CASE WHEN touch = 'click' THEN click_device ELSE view_device END AS device
  FROM judged
  WHERE touch IS NOT NULL
),
counted AS (
  SELECT dt AS day, campaign_id, creative_id, site_id, source_brand, destination_brand, device,
    requests, served, impressions, clicks, holdout_exposures,
    0 AS click_conversions, 0 AS view_conversions, 0 AS s2s_conversions, 0E0 AS revenue
  FROM funnel_daily
  WHERE dt BETWEEN :date_from AND :date_until AND strpos(:compacted_days, dt) > 0
  UNION ALL
  -- raw days: begin
  SELECT day, campaign_id, creative_id, site_id, source_brand, destination_brand,
    coalesce(device, 'unknown'),
    count_if(event_type = 'request'), count_if(event_type = 'served'),
    count_if(event_type = 'impression'), count_if(event_type = 'click'), count_if(event_type = 'holdout'),
    0, 0, 0, 0E0
  FROM fresh
  WHERE day BETWEEN :date_from AND :date_until
    AND event_type IN ('request', 'served', 'impression', 'click', 'holdout')
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  UNION ALL
  -- raw days: end
  SELECT day, campaign_id, creative_id, site_id, source_brand, destination_brand, device,
    0, 0, 0, 0, 0,
    count_if(touch = 'click'), count_if(touch = 'impression'), count_if(channel = 's2s'),
    sum(coalesce(value, 0E0))
  FROM credited
  GROUP BY 1, 2, 3, 4, 5, 6, 7
)
-- Summed counts are cast to BIGINT, which Trino's sum of a bigint is anyway (DuckDB's is a 128-bit
-- integer, slow to hand to Python).
SELECT
  day, campaign_id, creative_id, site_id, source_brand, destination_brand, device,
  CAST(sum(requests) AS BIGINT) AS requests,
  CAST(sum(served) AS BIGINT) AS served,
  CAST(sum(impressions) AS BIGINT) AS impressions,
  CAST(sum(clicks) AS BIGINT) AS clicks,
  CAST(sum(holdout_exposures) AS BIGINT) AS holdout_exposures,
  CAST(sum(clicks) AS DOUBLE) / nullif(sum(impressions), 0) AS ctr,
  CAST(sum(click_conversions) AS BIGINT) AS click_conversions,
  CAST(sum(view_conversions) AS BIGINT) AS view_conversions,
  CAST(sum(s2s_conversions) AS BIGINT) AS s2s_conversions,
  CAST(sum(click_conversions) AS DOUBLE) / nullif(sum(clicks), 0) AS cvr_per_click,
  CAST(sum(click_conversions) + sum(view_conversions) AS DOUBLE) / nullif(sum(impressions), 0) AS cvr_per_impression,
  sum(revenue) AS revenue
FROM counted
WHERE :brand = '' OR source_brand = :brand OR destination_brand = :brand
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
