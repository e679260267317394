// Volume: every cap's current period (limit, used, remaining) per campaign and destination, and
// each restricted brand pair's reciprocity ledger, from /admin/v1/pacing.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { html } from "../html.js";
import { t, formatDateTime, formatNumber, formatPercent } from "../i18n.js";
import { api } from "../api.js";
import { Bar, Loadable, Page, useLoad } from "../components.js";
import { ReferralTrend } from "./trend.js";

/**
 * A counter's period as a marketer reads it: "d2026-12-01" → "2026/12/01", "m2026-12" → "2026/12",
 * "w2026-W48" → "2026-W48" (ISO week); "total" has no period of its own ("" beside its label).
 * Anything else is shown as it is.
 * @param {string} key the period_key of /admin/v1/pacing
 */
export function periodText(key) {
  const day = /^d(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (day) return `${day[1]}/${day[2]}/${day[3]}`;
  const month = /^m(\d{4})-(\d{2})$/.exec(key);
  if (month) return `${month[1]}/${month[2]}`;
  const week = /^w(\d{4}-W\d{2})$/.exec(key);
  if (week) return week[1];
  return key === "total" ? "" : key;
}

export function Volume() {
  const [load, retry] = useLoad(() => api.get("/pacing"), []);
  return html`<${Page} title=${t("nav.volume")} actions=${html`<button type="button" onClick=${retry}>${t("action.refresh")}</button>`}>
    <${Loadable} load=${load} retry=${retry} empty=${(d) => !d.caps.length && !d.reciprocity.length} emptyText=${t("volume.none")}>
      ${(d) => html`<p class="hint">${t("volume.at", { at: formatDateTime(d.at), version: d.config_version })}</p>
        <h2>${t("volume.caps")}</h2>
        <table class="list volume"><caption class="sr-only">${t("volume.caps")}</caption>
          <thead><tr><th scope="col">${t("volume.subject")}</th><th scope="col">${t("volume.metric")}</th><th scope="col">${t("volume.period")}</th>
            <th scope="col">${t("volume.limit")}</th><th scope="col">${t("volume.used")}</th><th scope="col">${t("volume.remaining")}</th><th scope="col">${t("volume.share")}</th></tr></thead>
          <tbody>${d.caps.map((c) => html`<tr data-cap=${`${c.scope}/${c.subject}/${c.metric}/${c.period}`}>
            <th scope="row">${t("scope." + c.scope)}: ${c.subject}</th><td>${t("metric." + c.metric)}</td><td>${t("period." + c.period)} <span class="hint">${periodText(c.period_key)}</span></td>
            <td class="num">${formatNumber(c.limit)}</td><td class="num" data-used>${formatNumber(c.used)}</td><td class="num">${formatNumber(c.remaining)}</td>
            <td><${Bar} used=${c.used} limit=${c.limit} label=${`${c.subject} ${t("metric." + c.metric)}`} /> ${formatPercent(c.share)}${c.share >= 1 ? ` ${t("volume.reached")}` : c.share >= 0.8 ? ` ${t("volume.near")}` : ""}</td></tr>`)}</tbody>
        </table>
        <h2>${t("volume.reciprocity")}</h2>
        ${d.reciprocity.length ? html`<table class="list"><caption class="sr-only">${t("volume.reciprocity")}</caption>
          <thead><tr><th scope="col">${t("volume.pair")}</th><th scope="col">${t("volume.period")}</th><th scope="col">${t("volume.sent")}</th>
            <th scope="col">${t("volume.credit")}</th><th scope="col">${t("volume.rule")}</th></tr></thead>
          <tbody>${d.reciprocity.map((p) => html`<tr><th scope="row">${p.source} → ${p.destination}</th><td>${t("period." + p.period)} <span class="hint">${periodText(p.period_key)}</span></td>
            <td class="num">${formatNumber(p.sent)}</td><td class="num">${formatNumber(Math.floor(p.credit))}${p.started ? "" : ` (${t("volume.not_started")})`}</td>
            <td>${t("volume.rule_text", { ratio: p.ratio, allowance: formatNumber(p.allowance) })}</td></tr>`)}</tbody></table>`
          : html`<p class="notice empty">${t("volume.no_pairs")}</p>`}`}
    <//>
  <${ReferralTrend} />
  <//>`;
}
