// The audit log: filter by dates, user, brand, object and action; download the same rows as CSV.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatDateTime } from "../i18n.js";
import { api, query, request, errorAt, fieldErrors } from "../api.js";
import { ErrorBox, Loadable, Page, useLoad, fieldId, Field } from "../components.js";

const FILTERS = ["since", "until", "user", "brand", "object", "action"];
/** Every action an entry records (xsell.admin.audit.ACTIONS; a test keeps the two equal). */
export const AUDIT_ACTIONS = [
  "save",
  "delete",
  "request_approval",
  "approve",
  "reject",
  "publish",
  "restore",
  "presign_upload",
  "presign_errors",
  "upload_image",
  "mint_preview",
  "rotate_secret",
  "rotate_signing_key",
];

/** An action in the reader's language; its code for one this page does not know. @param {string} code */
export function actionLabel(code) {
  const key = "audit.act." + code;
  const label = t(key);
  return label === key ? code : label;
}

export function Audit() {
  const [draft, setDraft] = useState(/** @type {Record<string, string>} */ ({}));
  const [filters, setFilters] = useState(/** @type {Record<string, string>} */ ({}));
  const [load, retry] = useLoad(() => api.get("/audit" + query(filters)), [JSON.stringify(filters)]);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const errors = load.status === "error" ? fieldErrors(load.error) : {};
  const download = async () => {
    setError(null);
    try {
      const answer = await request("GET", "/audit/export" + query(filters), undefined, { raw: true });
      const url = URL.createObjectURL(await answer.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = "xsell-audit.csv";
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    }
  };
  return html`<${Page} title=${t("nav.audit")} actions=${html`<button type="button" onClick=${download}>${t("audit.csv")}</button>`}>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); setFilters({ ...draft }); }}>
      ${FILTERS.map((name) => html`<${Field} id=${fieldId(name)} label=${t("audit." + name)} error=${errorAt(errors, name)}>
        ${name === "action"
          ? html`<select id=${fieldId(name)} value=${draft[name] || ""} onChange=${(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}>
              <option value="">${t("audit.any_action")}</option>
              ${AUDIT_ACTIONS.map((a) => html`<option value=${a}>${actionLabel(a)}</option>`)}
            </select>`
          : html`<input id=${fieldId(name)} type=${name === "since" || name === "until" ? "date" : "text"} value=${draft[name] || ""}
              onInput=${(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />`}
      <//>`)}
      <button type="submit">${t("audit.search")}</button>
    </form>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    <${Loadable} load=${load} retry=${retry} emptyText=${t("audit.none")}>
      ${(list) => html`<table class="list"><caption class="sr-only">${t("nav.audit")}</caption>
        <thead><tr><th scope="col">${t("audit.at")}</th><th scope="col">${t("audit.user")}</th><th scope="col">${t("audit.action")}</th>
          <th scope="col">${t("audit.object")}</th><th scope="col">${t("audit.brand")}</th><th scope="col">${t("audit.from")}</th><th scope="col">${t("audit.changes")}</th></tr></thead>
        <tbody>${list.map((a) => html`<tr><td>${formatDateTime(a.at)}</td><td>${a.email || a.user}</td><td title=${a.action}>${actionLabel(a.action)}</td><td><code>${a.object}</code></td>
          <td>${(a.brands || []).join(", ")}</td><td>${a.ip || "—"}</td><td>${(a.diff || []).length ? html`<details><summary>${(a.diff || []).length}</summary><ul>${a.diff.slice(0, 20).map((d) => html`<li><code>${d.path}</code>: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}</li>`)}</ul></details>` : "—"}</td></tr>`)}</tbody>
      </table>`}
    <//>
  <//>`;
}
