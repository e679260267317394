// Referrals per brand and Tokyo day from the daily funnel report's rows: what the volume screen's
// 30-day chart and home's "today" card both show. Small and free of UI code: home is in the
// first bundle, the chart is not.

/** The last `n` days up to today in Asia/Tokyo, as YYYY-MM-DD. @param {number} n */
export function tokyoDays(n, now = new Date()) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(now);
  const end = Date.parse(today + "T00:00:00Z");
  return Array.from({ length: n }, (_, i) => new Date(end - (n - 1 - i) * 86400000).toISOString().slice(0, 10));
}

/**
 * Sent and received referrals per brand and day, from funnel rows.
 * @param {any[]} rows @param {string[]} days
 * @returns {Record<string, {sent: number[], received: number[]}>}
 */
export function series(rows, days) {
  /** @type {Record<string, {sent: number[], received: number[]}>} */
  const out = {};
  const at = new Map(days.map((d, i) => [d, i]));
  const line = (brand) => (out[brand] ||= { sent: days.map(() => 0), received: days.map(() => 0) });
  for (const row of rows) {
    const i = at.get(String(row.day));
    if (i === undefined || !row.destination_brand) continue; // decide's request rows: no campaign yet
    line(row.source_brand).sent[i] += Number(row.clicks) || 0;
    line(row.destination_brand).received[i] += Number(row.clicks) || 0;
  }
  return out;
}
