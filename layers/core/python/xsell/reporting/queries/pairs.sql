-- Brand-pair matrix: per ordered pair (source brand -> destination brand) over the period.
-- A new cross-use customer converted at the destination for the first time in the scanned
-- history (the period and :history_days before it) with the order credited to a referral.
WITH
{credited},
sent AS (
  SELECT source_brand, destination_brand,
    count_if(event_type = 'impression') AS impressions,
    count_if(event_type = 'click') AS referrals
  FROM events
  WHERE day BETWEEN :date_from AND :date_until AND event_type IN ('impression', 'click')
  GROUP BY 1, 2
),
first_orders AS (
  SELECT destination_brand, customer_hash, min(event_ts) AS first_ts
  FROM events
  WHERE event_type = 'conversion'
  GROUP BY 1, 2
),
won AS (
  SELECT c.source_brand, c.destination_brand,
    count(*) AS conversions,
    sum(coalesce(c.value, 0E0)) AS revenue,
    count(DISTINCT CASE WHEN f.first_ts = c.event_ts THEN c.customer_hash END) AS new_customers
  FROM credited AS c
  JOIN first_orders AS f ON f.destination_brand = c.destination_brand AND f.customer_hash = c.customer_hash
  GROUP BY 1, 2
),
pairs AS (
  SELECT source_brand, destination_brand FROM sent
  UNION
  SELECT source_brand, destination_brand FROM won
)
SELECT
  p.source_brand, p.destination_brand,
  coalesce(s.impressions, 0) AS impressions,
  coalesce(s.referrals, 0) AS referrals_sent,
  coalesce(r.referrals, 0) AS referrals_received,
  coalesce(w.conversions, 0) AS conversions,
  coalesce(w.revenue, 0E0) AS revenue,
  coalesce(w.new_customers, 0) AS new_customers
FROM pairs AS p
LEFT JOIN sent AS s ON s.source_brand = p.source_brand AND s.destination_brand = p.destination_brand
LEFT JOIN sent AS r ON r.source_brand = p.destination_brand AND r.destination_brand = p.source_brand
LEFT JOIN won AS w ON w.source_brand = p.source_brand AND w.destination_brand = p.destination_brand
WHERE :brand = '' OR p.source_brand = :brand OR p.destination_brand = :brand
ORDER BY 1, 2
