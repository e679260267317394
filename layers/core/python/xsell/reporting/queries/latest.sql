-- Each conversion report with the customer's latest click and latest impression at its
-- destination brand at or before it (ties: the later decision id); included as {latest} after
-- two CTEs the report defines: conv_source (conversion reports) and touch_source (clicks and
-- impressions of those customers). This is the whole of the crediting rule's search: the latest
-- click is the only click that can be inside any click window if any is, and likewise for
-- impressions, so the credited touch for any window follows from these two (funnel.sql).
latest_ranked AS (
  SELECT
    c.event_id, c.event_ts, c.day, c.destination_brand, c.customer_hash, c.order_id, c.value, c.currency,
    c.channel,
    t.event_type AS touch, t.event_ts AS touch_ts, t.campaign_id, t.creative_id, t.site_id,
    t.source_brand, t.device,
    row_number() OVER (
      PARTITION BY c.event_id, t.event_type ORDER BY t.event_ts DESC, t.decision_id DESC
    ) AS pick
  FROM conv_source AS c
  LEFT JOIN touch_source AS t
    ON t.customer_hash = c.customer_hash
    AND t.destination_brand = c.destination_brand
    AND t.event_ts <= c.event_ts
),
latest AS (
  SELECT
    event_id, event_ts, day, destination_brand, customer_hash, order_id, value, currency, channel,
    max(CASE WHEN touch = 'click' THEN touch_ts END) AS click_ts,
    max(CASE WHEN touch = 'click' THEN campaign_id END) AS click_campaign_id,
    max(CASE WHEN touch = 'click' THEN creative_id END) AS click_creative_id,
    max(CASE WHEN touch = 'click' THEN site_id END) AS click_site_id,
    max(CASE WHEN touch = 'click' THEN source_brand END) AS click_source_brand,
    max(CASE WHEN touch = 'click' THEN device END) AS click_device,
    max(CASE WHEN touch = 'impression' THEN touch_ts END) AS view_ts,
    max(CASE WHEN touch = 'impression' THEN campaign_id END) AS view_campaign_id,
    max(CASE WHEN touch = 'impression' THEN creative_id END) AS view_creative_id,
    max(CASE WHEN touch = 'impression' THEN site_id END) AS view_site_id,
    max(CASE WHEN touch = 'impression' THEN source_brand END) AS view_source_brand,
    max(CASE WHEN touch = 'impression' THEN device END) AS view_device
  FROM latest_ranked
  WHERE pick = 1
  GROUP BY event_id, event_ts, day, destination_brand, customer_hash, order_id, value, currency, channel
)
