-- Holdout lift per campaign: every customer exposed in the period is in one arm (decide draws the
-- holdout per customer and campaign); an arm's conversions are that customer's orders at the
-- campaign's destination brand from the first exposure to :click_window_days after it, however
-- they were referred (incrementality: not only orders credited to this campaign).
WITH
orders AS (
  SELECT * FROM (
    SELECT event_ts, destination_brand, customer_hash, order_id, value,
      row_number() OVER (PARTITION BY destination_brand, order_id ORDER BY event_ts, event_id) AS nth
    FROM events
    WHERE event_type = 'conversion'
  ) AS reported
  WHERE nth = 1
),
assigned AS (
  SELECT campaign_id, destination_brand, customer_hash,
    min(event_ts) AS first_exposure,
    max(CASE WHEN event_type = 'holdout' THEN 1 ELSE 0 END) AS in_holdout
  FROM events
  WHERE day BETWEEN :date_from AND :date_until AND event_type IN ('impression', 'holdout')
    AND (:brand = '' OR source_brand = :brand OR destination_brand = :brand)
    AND (:campaign = '' OR campaign_id = :campaign)
  GROUP BY 1, 2, 3
),
outcome AS (
  SELECT a.campaign_id, a.destination_brand, a.customer_hash, a.in_holdout,
    count(o.order_id) AS orders, coalesce(sum(o.value), 0E0) AS revenue
  FROM assigned AS a
  LEFT JOIN orders AS o
    ON o.customer_hash = a.customer_hash
    AND o.destination_brand = a.destination_brand
    AND o.event_ts >= a.first_exposure
    AND o.event_ts <= a.first_exposure + :click_window_days * INTERVAL '1' DAY
  GROUP BY 1, 2, 3, 4
)
SELECT
  campaign_id, max(destination_brand) AS destination_brand,
  CASE WHEN in_holdout = 1 THEN 'holdout' ELSE 'treatment' END AS arm,
  count(*) AS customers,
  count_if(orders > 0) AS converters,
  sum(orders) AS conversions,
  sum(revenue) AS revenue,
  sum(revenue * revenue) AS revenue_sq
FROM outcome
GROUP BY 1, 3
ORDER BY 1, 3
