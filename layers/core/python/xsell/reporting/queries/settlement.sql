-- Settlement base per ordered pair for one month: the orders credited to a referral from the
-- source brand (click-through and view-through), their count and revenue. The price per pair is
-- applied from the group settings (xsell.reporting.service), not here.
WITH
{credited}
SELECT
  source_brand, destination_brand, currency,
  count(*) AS conversions,
  sum(coalesce(value, 0E0)) AS revenue
FROM credited
WHERE :brand = '' OR source_brand = :brand OR destination_brand = :brand
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
