// The last 30 days of referrals per brand, sent (clicks on its sites' banners) and received
// (clicks sending customers to it), from the daily funnel report. A plain SVG chart: lines
// differ by dash as well as colour, and the same numbers are in a table below it.
import { html } from "../html.js";
import { t, formatNumber } from "../i18n.js";
import { api, query } from "../api.js";
import { Loadable, useLoad } from "../components.js";
import { series, tokyoDays } from "../referrals.js";

const DAYS = 30;
export const W = 720;
export const H = 220;
export const PAD = 32;
export const COLOURS = ["#c2185b", "#00796b", "#1565c0", "#6a1b9a", "#a84300", "#2e7d32"]; // each ≥ 4.5:1 on white (legend text)

/** @param {number[]} values @param {number} top */
export function points(values, top) {
  const step = (W - 2 * PAD) / Math.max(1, values.length - 1);
  return values.map((v, i) => `${(PAD + i * step).toFixed(1)},${(H - PAD - (v / top) * (H - 2 * PAD)).toFixed(1)}`).join(" ");
}

export function ReferralTrend() {
  const days = tokyoDays(DAYS);
  const [load, retry] = useLoad(() => api.get("/reports/funnel" + query({ from: days[0], until: days[DAYS - 1] })), []);
  return html`<section aria-labelledby="trend-title">
    <h2 id="trend-title">${t("trend.title")}</h2>
    <${Loadable} load=${load} retry=${retry} empty=${(r) => !r.rows.length} emptyText=${t("trend.none")}>
      ${(report) => {
        const lines = series(report.rows, days);
        const brands = Object.keys(lines).sort();
        const top = Math.max(1, ...brands.flatMap((b) => [...lines[b].sent, ...lines[b].received]));
        return html`<figure class="trend">
          <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${t("trend.title")} width="100%">
            <line x1=${PAD} y1=${H - PAD} x2=${W - PAD} y2=${H - PAD} stroke="#999" />
            <text x=${PAD} y=${PAD - 8} font-size="11">${formatNumber(top)}</text>
            <text x=${PAD} y=${H - 8} font-size="11">${days[0]}</text>
            <text x=${W - PAD} y=${H - 8} font-size="11" text-anchor="end">${days[DAYS - 1]}</text>
            ${brands.map((b, n) => html`
              <polyline fill="none" stroke=${COLOURS[n % COLOURS.length]} stroke-width="2" points=${points(lines[b].sent, top)} />
              <polyline fill="none" stroke=${COLOURS[n % COLOURS.length]} stroke-width="2" stroke-dasharray="6 4" points=${points(lines[b].received, top)} />`)}
          </svg>
          <figcaption>${brands.map((b, n) => html`<span class="legend" style=${`color:${COLOURS[n % COLOURS.length]}`}>${b}: ── ${t("trend.sent")} ╌╌ ${t("trend.received")}</span> `)}</figcaption>
        </figure>
        <details><summary>${t("trend.table")}</summary>
          <div class="scroll" tabindex="0" role="region" aria-label=${t("trend.table")}><table class="list"><caption class="sr-only">${t("trend.table")}</caption>
            <thead><tr><th scope="col">${t("trend.day")}</th>${brands.map((b) => html`<th scope="col">${b} ${t("trend.sent")}</th><th scope="col">${b} ${t("trend.received")}</th>`)}</tr></thead>
            <tbody>${days.map((d, i) => html`<tr><td>${d}</td>${brands.map((b) => html`<td>${formatNumber(lines[b].sent[i])}</td><td>${formatNumber(lines[b].received[i])}</td>`)}</tr>`)}</tbody>
          </table></div>
        </details>`;
      }}
    <//>
  </section>`;
}
