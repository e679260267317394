-- Orders and the touch each one is credited to; included by the reports that count conversions.
-- orders: one row per order (destination brand + order id), the first report of it.
-- credited: a click inside the click window beats any impression; among clicks the latest wins;
-- without one, the latest viewable impression inside the view window. One touch per order at most.
orders AS (
  SELECT * FROM (
    SELECT
      event_id, event_ts, day, destination_brand, customer_hash, order_id, value, currency,
      row_number() OVER (PARTITION BY destination_brand, order_id ORDER BY event_ts, event_id) AS nth
    FROM events
    WHERE event_type = 'conversion' AND day BETWEEN :date_from AND :date_until
  ) AS reported
  WHERE nth = 1
),
touches AS (
  SELECT event_type, event_ts, decision_id, campaign_id, creative_id, site_id, source_brand,
    destination_brand, customer_hash, coalesce(device, 'unknown') AS device
  FROM events
  WHERE event_type IN ('click', 'impression')
    AND customer_hash IN (SELECT customer_hash FROM orders)
),
credited AS (
  SELECT * FROM (
    SELECT
      o.order_id, o.day, o.event_ts, o.value, o.currency, o.customer_hash,
      t.event_type AS touch, t.campaign_id, t.creative_id, t.site_id, t.source_brand,
      t.destination_brand, t.device,
      row_number() OVER (
        PARTITION BY o.destination_brand, o.order_id
        ORDER BY CASE WHEN t.event_type = 'click' THEN 0 ELSE 1 END, t.event_ts DESC, t.decision_id DESC
      ) AS pick
    FROM orders AS o
    JOIN touches AS t
      ON t.customer_hash = o.customer_hash
      AND t.destination_brand = o.destination_brand
      AND t.event_ts <= o.event_ts
      AND (
        (t.event_type = 'click' AND o.event_ts <= t.event_ts + :click_window_days * INTERVAL '1' DAY)
        OR (t.event_type = 'impression' AND o.event_ts <= t.event_ts + :view_window_days * INTERVAL '1' DAY)
      )
  ) AS ranked
  WHERE pick = 1
)
