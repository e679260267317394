-- A/B results per campaign and variant (creative), counted in customers: the variant is drawn
-- per customer, so the customer is the unit of every rate and test (xsell.reporting.stats).
WITH
{credited},
exposed AS (
  SELECT campaign_id, creative_id, source_brand, destination_brand, customer_hash,
    count_if(event_type = 'impression') AS impressions,
    count_if(event_type = 'click') AS clicks
  FROM events
  WHERE day BETWEEN :date_from AND :date_until AND event_type IN ('impression', 'click')
    AND (:brand = '' OR source_brand = :brand OR destination_brand = :brand)
  GROUP BY 1, 2, 3, 4, 5
),
converted AS (
  SELECT campaign_id, creative_id, customer_hash, count(*) AS orders, sum(coalesce(value, 0E0)) AS revenue
  FROM credited
  WHERE :brand = '' OR source_brand = :brand OR destination_brand = :brand
  GROUP BY 1, 2, 3
)
SELECT
  e.campaign_id, e.creative_id, max(e.destination_brand) AS destination_brand,
  count(*) AS customers,
  sum(e.impressions) AS impressions,
  sum(e.clicks) AS clicks,
  count_if(e.clicks > 0) AS clickers,
  -- A matched customer has at least one order. count_if(c.orders > 0) would be NULL in DuckDB for a
  -- variant nobody converted on (every predicate NULL), where Trino says 0.
  count(c.orders) AS converters,
  coalesce(sum(c.orders), 0) AS conversions,
  coalesce(sum(c.revenue), 0E0) AS revenue
FROM exposed AS e
LEFT JOIN converted AS c
  ON c.campaign_id = e.campaign_id AND c.creative_id = e.creative_id AND c.customer_hash = e.customer_hash
WHERE :campaign = '' OR e.campaign_id = :campaign
GROUP BY 1, 2
ORDER BY 1, 2
