// Reports: pick one (funnel, A/B, holdout lift, brand pairs, settlement), set its period, read
// the table the API answers (rows already limited to your brand's pairs), download it as CSV.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatDateTime, formatNumber } from "../i18n.js";
import { api, query, request, errorAt, fieldErrors } from "../api.js";
import { ErrorBox, Loadable, Page, useLoad, fieldId, Field } from "../components.js";
import { ReportChart } from "./report_charts.js";

const POLL_MS = 2000; // Athena answers "running" first; ask again with the run id
const INPUTS = /** @type {Record<string, string>} */ ({
  from: "date",
  until: "date",
  month: "month",
  campaign: "text",
  click_window_days: "number",
  view_window_days: "number",
});

/**
 * A column's header in the page's language (messages "reports.col.<name>"); the SQL name, which
 * the CSV keeps, for a column without one.
 * @param {string} column
 */
export function columnLabel(column) {
  const key = "reports.col." + column;
  const label = t(key);
  return label === key ? column : label;
}

/** @param {unknown} value */
function cell(value) {
  if (typeof value === "number") return formatNumber(value);
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function Reports() {
  const [catalogue, retryCatalogue] = useLoad(() => api.get("/reports"), []);
  const [name, setName] = useState("");
  const [params, setParams] = useState(/** @type {Record<string, string>} */ ({}));
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [state, setState] = useState(/** @type {"idle" | "loading" | "error"} */ ("idle"));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const reports = catalogue.status === "ready" ? /** @type {any[]} */ (catalogue.data) : [];
  const chosen = reports.find((r) => r.report === name) || reports[0];
  useEffect(() => {
    if (!name && chosen) setName(chosen.report);
    // The API's own defaults (the last 7 days up to today in Tokyo, this month, the attribution
    // windows), filled in so that the form says what the report will cover.
    if (chosen) setParams({ ...(chosen.defaults || {}) });
  }, [chosen && chosen.report]);

  /** @param {string | undefined} run */
  const load = async (run) => {
    setState("loading");
    setError(null);
    try {
      const answer = await api.get(`/reports/${encodeURIComponent(chosen.report)}` + query({ ...params, run }));
      if (answer.status === "running") {
        setTimeout(() => load(answer.run), POLL_MS);
        return;
      }
      setResult(answer);
      setState("idle");
    } catch (e) {
      setError(e);
      setState("error");
    }
  };
  const download = async () => {
    setError(null);
    try {
      const answer = await request("GET", `/reports/${encodeURIComponent(chosen.report)}/export` + query(params), undefined, { raw: true });
      const url = URL.createObjectURL(await answer.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = `xsell-${chosen.report}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    }
  };
  const errors = state === "error" ? fieldErrors(error) : {};
  return html`<${Page} title=${t("nav.reports")} actions=${result ? html`<button type="button" onClick=${download}>${t("reports.csv")}</button>` : null}>
    <${Loadable} load=${catalogue} retry=${retryCatalogue} emptyText=${t("reports.none")}>
      ${() => html`<form class="filters" onSubmit=${(e) => { e.preventDefault(); load(undefined); }}>
        <${Field} id="report-name" label=${t("reports.report")}>
          <select id="report-name" value=${chosen.report} onChange=${(e) => { setName(e.currentTarget.value); setResult(null); }}>
            ${reports.map((r) => html`<option value=${r.report}>${t("reports.title." + r.report) === "reports.title." + r.report ? r.title : t("reports.title." + r.report)}</option>`)}
          </select>
        <//>
        ${chosen.parameters.filter((p) => INPUTS[p]).map((p) => html`<${Field} id=${fieldId(p)} label=${t("reports.param." + p)} error=${errorAt(errors, p)}>
          <input id=${fieldId(p)} type=${INPUTS[p]} value=${params[p] || ""} onInput=${(e) => setParams({ ...params, [p]: e.currentTarget.value })} />
        <//>`)}
        <button type="submit" disabled=${state === "loading"}>${t("reports.run")}</button>
      </form>`}
    <//>
    ${state === "loading" ? html`<p class="notice loading" role="status" data-state="loading"><span class="spinner" aria-hidden="true"></span>${t("state.loading")}</p>` : null}
    ${state === "error" ? html`<${ErrorBox} error=${error} />` : null}
    ${result && state !== "loading" ? html`<section aria-label=${t("reports.result")}>
      <p class="meta">${result.parameters?.from ? html`${t("reports.period", { from: result.parameters.from, until: result.parameters.until })} · ` : null}${t("reports.as_of", { at: result.data_as_of ? formatDateTime(result.data_as_of) : "—" })}
        ${result.brand_scope ? html` · ${t("reports.scope", { brand: result.brand_scope })}` : null}</p>
      <${ReportChart} report=${result.report} rows=${result.rows} />
      ${result.rows.length === 0
        ? html`<p class="notice empty" data-state="empty">${t("reports.empty")}</p>`
        : html`<div class="scroll" data-state="ready" tabindex="0" role="region" aria-label=${result.title || result.report}><table class="list" data-report=${result.report}><caption class="sr-only">${result.title || result.report}</caption>
            <thead><tr>${result.columns.map((c) => html`<th scope="col" data-column=${c} title=${c}>${columnLabel(c)}</th>`)}</tr></thead>
            <tbody>${result.rows.map((row) => html`<tr>${result.columns.map((c) => html`<td>${cell(row[c])}</td>`)}</tr>`)}</tbody>
          </table></div>`}
    </section>` : null}
  <//>`;
}
