-- Daily funnel per campaign, creative (variant), source site, destination brand and device:
-- decide's requests and served slots, impressions, clicks, holdout exposures, and the orders
-- credited to each (credited.sql's rule; s2s_conversions: those the destination's server
-- reported, signed, rather than the browser tag; both paths are counted). Compacted days are read from their rollups only
-- (funnel_daily for the counts, conversion_touches for the orders), the days not compacted
-- yet from the raw events; each branch reads only the columns it needs.
WITH
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
  WHERE :json_folders <> '' AND dt BETWEEN :scan_from AND :scan_until AND strpos(:compacted_days, dt) > 0
    AND event_type IN ('click', 'impression') AND customer_hash IN (SELECT customer_hash FROM conv_source)
),
{latest},
reports AS (
  SELECT event_id, event_ts, dt AS day, destination_brand, order_id, value, channel,
    click_ts, click_campaign_id, click_creative_id, click_site_id, click_source_brand, click_device,
    view_ts, view_campaign_id, view_creative_id, view_site_id, view_source_brand, view_device
  FROM conversion_touches
  WHERE dt BETWEEN :date_from AND :date_until AND strpos(:compacted_days, dt) > 0
  UNION ALL
  SELECT event_id, event_ts, day, destination_brand, order_id, value, channel,
    click_ts, click_campaign_id, click_creative_id, click_site_id, click_source_brand, click_device,
    view_ts, view_campaign_id, view_creative_id, view_site_id, view_source_brand, view_device
  FROM latest
),
-- one row per order (destination brand + order id): its first report (by time, then event id).
-- Nearly every order is reported once; only the few reported more often (browser and server,
-- or again later) are ranked, so the common case costs one aggregation and no window or join.
repeated AS (
  SELECT destination_brand, order_id
  FROM reports
  GROUP BY destination_brand, order_id
  HAVING count(*) > 1
),
orders AS (
  SELECT event_id, event_ts, day, destination_brand, order_id, value, channel,
    click_ts, click_campaign_id, click_creative_id, click_site_id, click_source_brand, click_device,
    view_ts, view_campaign_id, view_creative_id, view_site_id, view_source_brand, view_device
  FROM reports AS r
  WHERE NOT EXISTS (
    SELECT 1 FROM repeated AS d WHERE d.destination_brand = r.destination_brand AND d.order_id = r.order_id
  )
  UNION ALL
  SELECT event_id, event_ts, day, destination_brand, order_id, value, channel,
    click_ts, click_campaign_id, click_creative_id, click_site_id, click_source_brand, click_device,
    view_ts, view_campaign_id, view_creative_id, view_site_id, view_source_brand, view_device
  FROM (
    SELECT r.*,
      row_number() OVER (PARTITION BY r.destination_brand, r.order_id ORDER BY r.event_ts, r.event_id) AS nth
    FROM reports AS r
    JOIN repeated AS d ON d.destination_brand = r.destination_brand AND d.order_id = r.order_id
  ) AS ranked
  WHERE nth = 1
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
