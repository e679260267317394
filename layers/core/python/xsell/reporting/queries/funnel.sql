-- Daily funnel per campaign, creative (variant), source site, destination brand and device.
WITH
{credited},
counted AS (
  SELECT day, campaign_id, creative_id, site_id, source_brand, destination_brand,
    coalesce(device, 'unknown') AS device,
    count_if(event_type = 'impression') AS impressions,
    count_if(event_type = 'click') AS clicks,
    count_if(event_type = 'holdout') AS holdout_exposures,
    0 AS click_conversions, 0 AS view_conversions, 0E0 AS revenue
  FROM events
  WHERE day BETWEEN :date_from AND :date_until AND event_type IN ('impression', 'click', 'holdout')
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  UNION ALL
  SELECT day, campaign_id, creative_id, site_id, source_brand, destination_brand, device,
    0, 0, 0,
    count_if(touch = 'click'), count_if(touch = 'impression'), sum(coalesce(value, 0E0))
  FROM credited
  GROUP BY 1, 2, 3, 4, 5, 6, 7
)
SELECT
  day, campaign_id, creative_id, site_id, source_brand, destination_brand, device,
  sum(impressions) AS impressions,
  sum(clicks) AS clicks,
  sum(holdout_exposures) AS holdout_exposures,
  CAST(sum(clicks) AS DOUBLE) / nullif(sum(impressions), 0) AS ctr,
  sum(click_conversions) AS click_conversions,
  sum(view_conversions) AS view_conversions,
  CAST(sum(click_conversions) AS DOUBLE) / nullif(sum(clicks), 0) AS cvr_per_click,
  CAST(sum(click_conversions) + sum(view_conversions) AS DOUBLE) / nullif(sum(impressions), 0) AS cvr_per_impression,
  sum(revenue) AS revenue
FROM counted
WHERE :brand = '' OR source_brand = :brand OR destination_brand = :brand
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
