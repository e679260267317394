-- The events of the days not compacted yet, read from what Firehose wrote (part of events.sql,
-- and read on its own by the reports that take compacted days from rollups, e.g. funnel.sql).
-- dt is the day the object arrived, so an event near midnight may sit in the neighbouring
-- folder: the runner lists in :json_folders every folder within a day of a day not compacted,
-- and the rows are kept by event time.
SELECT
  event_id, event_type, event_ts, day, decision_id, site_id, slot, campaign_id, creative_id,
  source_brand, destination_brand, customer_hash, holdout, order_id, value, currency, device, channel
FROM (
  SELECT
    j.*,
    CAST(CAST(CAST(from_iso8601_timestamp(j.received_at) AT TIME ZONE 'UTC' AS TIMESTAMP)
      + INTERVAL '9' HOUR AS DATE) AS VARCHAR) AS day,
    CAST(from_iso8601_timestamp(j.received_at) AT TIME ZONE 'UTC' AS TIMESTAMP) AS event_ts
  FROM events_json AS j
  WHERE j.dt BETWEEN date_format(date_add('day', -1, CAST(:scan_from AS DATE)), '%Y-%m-%d')
    AND date_format(date_add('day', 1, CAST(:scan_until AS DATE)), '%Y-%m-%d')
    AND strpos(:json_folders, j.dt) > 0
) AS raw
WHERE day BETWEEN :scan_from AND :scan_until AND strpos(:compacted_days, day) = 0
