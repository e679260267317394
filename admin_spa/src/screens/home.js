// Home: the live version, what waits for approval, today's referrals, caps near their limit, the
// last imports. Today's referrals come from the daily funnel report (Athena in AWS: seconds), so
// their card loads on its own and never holds back the rest of the screen.
import { html } from "../html.js";
import { t, formatDateTime, formatNumber, formatPercent } from "../i18n.js";
import { api, early, query } from "../api.js";
import { series, tokyoDays } from "../referrals.js";
import { href } from "../router.js";
import { Badge, Loadable, Page, useLoad } from "../components.js";

/** What home reads, in this order (boot.js FIRST_LOADS[""] asks for the same paths early). */
export const READS = ["/health", "/publish", "/pacing", "/imports?limit=5"];

/** @param {any[]} answers in READS order */
const homeData = ([health, plan, pacing, imports]) => ({ health, plan, pacing, imports });

/** Home's data from boot's early answers, if every one of them came; else undefined. */
function earlyHome() {
  const answers = READS.map((path) => early(path));
  return answers.every((a) => a !== undefined) ? homeData(answers) : undefined;
}

export function Home() {
  const [load, retry] = useLoad(async () => homeData(await Promise.all(READS.map((path) => api.get(path)))), [], earlyHome());
  return html`<${Page} title=${t("nav.home")}>
    <${Loadable} load=${load} retry=${retry} empty=${() => false}>
      ${({ health, plan, pacing, imports }) => {
        const waiting = plan.changes.filter((c) => c.approval && ["requested", "missing", "stale"].includes(c.approval.status));
        const ready = plan.changes.filter((c) => c.ready);
        const warnings = pacing.caps.filter((c) => (c.share ?? 0) >= 0.8);
        return html`<div class="cards">
          <section class="card"><h2>${t("home.live")}</h2><p class="big">v${health.config_version}</p>
            <p><a href=${href("publish")}>${t("home.ready", { n: ready.length })}</a></p></section>
          <section class="card"><h2>${t("home.waiting")}</h2>
            ${waiting.length ? html`<ul>${waiting.map((c) => html`<li><a href=${href("campaigns", c.id)}>${c.id}</a> — ${t("approval." + c.approval.status)}</li>`)}</ul>` : html`<p>${t("home.none_waiting")}</p>`}</section>
          <${TodayReferrals} />
          <section class="card"><h2>${t("home.caps")}</h2>
            ${warnings.length ? html`<ul>${warnings.map((c) => html`<li><${Badge} tone=${c.share >= 1 ? "bad" : "warn"}>${formatPercent(c.share)}<//> ${c.subject} · ${t("metric." + c.metric)} / ${t("period." + c.period)}</li>`)}</ul>` : html`<p>${t("home.caps_ok")}</p>`}
            <p><a href=${href("volume")}>${t("nav.volume")}</a></p></section>
          <section class="card"><h2>${t("home.imports")}</h2>
            ${imports.length ? html`<ul>${imports.map((j) => html`<li>${formatDateTime(j.started_at)} ${j.partner}/${t("dataset." + j.dataset)} — ${t("job." + j.status)}</li>`)}</ul>` : html`<p>${t("imports.none")}</p>`}
            <p><a href=${href("imports")}>${t("nav.imports")}</a></p></section>
        </div>`;
      }}
    <//>
  <//>`;
}

/**
 * Today's referrals (clicks) per brand, sent from its sites and received, busiest first.
 * @param {any[]} rows the funnel report's rows @param {string} today YYYY-MM-DD in Tokyo
 * @returns {{brand: string, sent: number, received: number}[]}
 */
export function todayByBrand(rows, today) {
  const lines = series(rows, [today]);
  return Object.entries(lines)
    .map(([brand, line]) => ({ brand, sent: line.sent[0], received: line.received[0] }))
    .filter((r) => r.sent || r.received)
    .sort((a, b) => b.sent + b.received - (a.sent + a.received) || a.brand.localeCompare(b.brand));
}

function TodayReferrals() {
  const [today] = tokyoDays(1);
  const [load, retry] = useLoad(() => api.get("/reports/funnel" + query({ from: today, until: today })), []);
  return html`<section class="card" data-deferred aria-labelledby="home-today"><h2 id="home-today">${t("home.today")}</h2>
    <${Loadable} load=${load} retry=${retry} empty=${(r) => todayByBrand(r.rows, today).length === 0} emptyText=${t("home.today_none")}>
      ${(report) => html`<table class="list"><caption class="sr-only">${t("home.today")}</caption>
        <thead><tr><th scope="col">${t("home.brand")}</th><th scope="col">${t("trend.sent")}</th><th scope="col">${t("trend.received")}</th></tr></thead>
        <tbody>${todayByBrand(report.rows, today).map((r) => html`<tr><td>${r.brand}</td><td>${formatNumber(r.sent)}</td><td>${formatNumber(r.received)}</td></tr>`)}</tbody>
      </table>
      <p class="meta">${t("reports.as_of", { at: report.data_as_of ? formatDateTime(report.data_as_of) : "—" })}
        ${report.brand_scope ? html` · ${t("reports.scope", { brand: report.brand_scope })}` : null}</p>`}
    <//>
    <p><a href=${href("volume")}>${t("nav.volume")}</a></p>
  </section>`;
}
