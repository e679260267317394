-- One finished reporting day (:day) as it goes into events_parquet: read from the JSON folders
-- of the day and its neighbours, kept by event time, sorted so that each event type and
-- campaign sits together (Parquet statistics then skip what a report does not need).
-- Athena runs it as INSERT INTO events_parquet; locally DuckDB's result is written as Parquet.
SELECT
  event_id, event_type, event_ts, decision_id, site_id, slot, campaign_id, creative_id,
  source_brand, destination_brand, customer_hash, holdout, order_id, value, currency,
  conversion_site, device, channel, day AS dt
FROM (
  SELECT
    j.*,
    CAST(from_iso8601_timestamp(j.received_at) AT TIME ZONE 'UTC' AS TIMESTAMP) AS event_ts,
    CAST(CAST(CAST(from_iso8601_timestamp(j.received_at) AT TIME ZONE 'UTC' AS TIMESTAMP)
      + INTERVAL '9' HOUR AS DATE) AS VARCHAR) AS day
  FROM events_json AS j
  WHERE j.dt BETWEEN :scan_from AND :scan_until
) AS raw
WHERE day = :day
ORDER BY event_type, campaign_id, creative_id, site_id, destination_brand, event_ts
