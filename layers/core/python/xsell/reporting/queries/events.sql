-- The events every report reads: compacted Parquet for finished days, raw JSON lines for the rest.
-- Put in front of every report that reads it as the CTE `events` (xsell.reporting.sql.load).
--   events_parquet: one folder per reporting day (dt = the Asia/Tokyo day of the event), written
--                   by the nightly compaction (compact.sql); :compacted_days lists the days it holds.
--   events_json:    what Firehose wrote; dt is the day the object arrived, so an event near
--                   midnight may sit in the neighbouring folder: the runner lists in
--                   :json_folders every folder within a day of a day not compacted, and the
--                   rows are kept by event time.
-- Times: event_ts is UTC (no session time zone is relied on); `day` is event_ts + 9 h as a date
-- (Asia/Tokyo keeps no daylight saving time), as 'YYYY-MM-DD' text like dt. Day lists are
-- comma-joined 'YYYY-MM-DD' texts, so strpos finds a whole day or nothing.
SELECT
  event_id, event_type, event_ts, dt AS day, decision_id, site_id, slot, campaign_id, creative_id,
  source_brand, destination_brand, customer_hash, holdout, order_id, value, currency, device, channel
FROM events_parquet
WHERE dt BETWEEN :scan_from AND :scan_until AND strpos(:compacted_days, dt) > 0
-- raw days: begin
UNION ALL
{fresh}
-- raw days: end
