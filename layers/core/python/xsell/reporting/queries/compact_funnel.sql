-- funnel_daily: the funnel's counts of one compacted day, written next to events_parquet by the
-- same nightly compaction (day_events: the day's rows as compact.sql selects them). The funnel
-- reads these few rows instead of the day's events. Counts are cast to BIGINT: DuckDB's
-- count_if is a 128-bit integer, which Parquet would store as a DOUBLE.
SELECT
  campaign_id, creative_id, site_id, source_brand, destination_brand,
  coalesce(device, 'unknown') AS device,
  CAST(count_if(event_type = 'request') AS BIGINT) AS requests,
  CAST(count_if(event_type = 'served') AS BIGINT) AS served,
  CAST(count_if(event_type = 'impression') AS BIGINT) AS impressions,
  CAST(count_if(event_type = 'click') AS BIGINT) AS clicks,
  CAST(count_if(event_type = 'holdout') AS BIGINT) AS holdout_exposures,
  dt
FROM day_events
WHERE event_type IN ('request', 'served', 'impression', 'click', 'holdout')
GROUP BY campaign_id, creative_id, site_id, source_brand, destination_brand, coalesce(device, 'unknown'), dt
ORDER BY campaign_id, creative_id, site_id, source_brand, destination_brand, 6
