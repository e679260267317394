// Charts above a report's table, drawn as plain SVG with the volume trend's geometry
// (trend.js): the daily funnel over time, the A/B variants' rates with their 95 % intervals,
// and the holdout arms' conversion rates. The numbers are all in the table below each chart.
import { html } from "../html.js";
import { t, formatNumber } from "../i18n.js";
import { W, H, PAD, COLOURS, points } from "./trend.js";

const FUNNEL = ["requests", "served", "impressions", "clicks", "click_conversions"];
const DASHES = ["", "6 4", "2 3", "10 3 2 3", "1 2"]; // lines differ by dash as well as colour

/** @param {any[]} rows @returns {{days: string[], totals: Record<string, number[]>}} */
export function funnelSeries(rows) {
  const days = [...new Set(rows.map((r) => String(r.day)))].sort();
  const at = new Map(days.map((d, i) => [d, i]));
  /** @type {Record<string, number[]>} */
  const totals = Object.fromEntries(FUNNEL.map((f) => [f, days.map(() => 0)]));
  for (const row of rows) {
    const i = /** @type {number} */ (at.get(String(row.day)));
    for (const f of FUNNEL) totals[f][i] += Number(row[f]) || 0;
  }
  return { days, totals };
}

/** @param {{rows: any[]}} props */
function FunnelChart({ rows }) {
  const { days, totals } = funnelSeries(rows);
  const top = Math.max(1, ...FUNNEL.flatMap((f) => totals[f]));
  return html`<figure class="report-chart" data-chart="funnel">
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${t("reports.chart.funnel")} width="100%">
      <line x1=${PAD} y1=${H - PAD} x2=${W - PAD} y2=${H - PAD} stroke="#999" />
      <text x=${PAD} y=${PAD - 8} font-size="11">${formatNumber(top)}</text>
      <text x=${PAD} y=${H - 8} font-size="11">${days[0]}</text>
      <text x=${W - PAD} y=${H - 8} font-size="11" text-anchor="end">${days[days.length - 1]}</text>
      ${FUNNEL.map((f, n) => html`<polyline data-series=${f} fill="none" stroke=${COLOURS[n]} stroke-width="2" stroke-dasharray=${DASHES[n]} points=${points(totals[f], top)} />`)}
    </svg>
    <figcaption>${FUNNEL.map((f, n) => html`<span class="legend" style=${`color:${COLOURS[n]}`}>${t("reports.col." + f)} </span>`)}</figcaption>
  </figure>`;
}

/**
 * Horizontal bars (0 to 100 %) with an optional interval whisker per bar.
 * @param {{name: string, label: string, bars: {label: string, value: number | null, low?: number | null, high?: number | null}[]}} props
 */
function RateBars({ name, label, bars }) {
  const rowH = 26;
  const height = PAD + bars.length * rowH;
  const left = 200;
  const top = Math.max(0.0001, ...bars.flatMap((b) => [b.value || 0, b.high || 0]));
  const x = (/** @type {number} */ v) => left + (Math.max(0, v) / top) * (W - left - PAD);
  return html`<figure class="report-chart" data-chart=${name}>
    <svg viewBox=${`0 0 ${W} ${height}`} role="img" aria-label=${label} width="100%">
      <text x=${W - PAD} y="14" font-size="11" text-anchor="end">${formatNumber(top * 100)} %</text>
      ${bars.map((b, n) => {
        const y = 20 + n * rowH;
        return html`<g data-bar=${b.label}>
          <text x=${left - 8} y=${y + 13} font-size="12" text-anchor="end">${b.label}</text>
          <rect x=${left} y=${y} width=${x(b.value || 0) - left} height="16" fill=${COLOURS[n % COLOURS.length]} opacity="0.75" />
          ${b.low != null && b.high != null
            ? html`<line class="ci" x1=${x(b.low)} x2=${x(b.high)} y1=${y + 8} y2=${y + 8} stroke="#222" stroke-width="2" />`
            : null}
        </g>`;
      })}
    </svg>
    <figcaption>${label}</figcaption>
  </figure>`;
}

/** A/B: each variant's click rate; other variants get the 95 % interval of their lift over the control. @param {any[]} rows */
export function abBars(rows) {
  const control = new Map(rows.filter((r) => r.is_control).map((r) => [r.campaign_id, r]));
  return rows.map((r) => {
    const base = control.get(r.campaign_id);
    const ci = !r.is_control && base && r.click_absolute_low != null && base.click_rate != null;
    return {
      label: `${r.campaign_id} / ${r.creative_id}`,
      value: r.click_rate,
      low: ci ? base.click_rate + r.click_absolute_low : null,
      high: ci ? base.click_rate + r.click_absolute_high : null,
    };
  });
}

/** Holdout: the treatment and holdout arms' conversion rates per campaign. @param {any[]} rows */
export function holdoutBars(rows) {
  return rows.flatMap((r) => [
    { label: `${r.campaign_id} ${t("reports.chart.treatment")}`, value: r.treatment_rate },
    { label: `${r.campaign_id} ${t("reports.chart.holdout")}`, value: r.holdout_rate },
  ]);
}

/** @param {{report: string, rows: any[]}} props */
export function ReportChart({ report, rows }) {
  if (!rows.length) return null;
  if (report === "funnel") return html`<${FunnelChart} rows=${rows} />`;
  if (report === "ab") return html`<${RateBars} name="ab" label=${t("reports.chart.ab")} bars=${abBars(rows)} />`;
  if (report === "holdout") return html`<${RateBars} name="holdout" label=${t("reports.chart.holdout_arms")} bars=${holdoutBars(rows)} />`;
  return null;
}
