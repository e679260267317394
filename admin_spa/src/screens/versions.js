// Published versions, newest first; a group admin can roll back to one.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatDateTime } from "../i18n.js";
import { api } from "../api.js";
import { me } from "../auth/session.js";
import { ErrorBox, Loadable, Page, useLoad } from "../components.js";

export function Versions() {
  const [load, retry] = useLoad(() => api.get("/versions?limit=50"), []);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [done, setDone] = useState("");
  const admin = me.value?.role === "group-admin";
  const restore = async (version) => {
    const why = prompt(t("versions.why", { version }));
    if (why === null) return;
    try {
      const answer = await api.post(`/versions/${version}/restore`, { comment: why });
      setDone(t("versions.restored", { version, now: answer.version }));
      await retry();
    } catch (e) {
      setError(e);
    }
  };
  return html`<${Page} title=${t("nav.versions")}>
    ${done ? html`<p class="notice ok" role="status">✓ ${done}</p>` : null}
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    <${Loadable} load=${load} retry=${retry} emptyText=${t("versions.none")}>
      ${(list) => html`<table class="list"><caption class="sr-only">${t("nav.versions")}</caption>
        <thead><tr><th scope="col">${t("versions.version")}</th><th scope="col">${t("versions.at")}</th><th scope="col">${t("versions.by")}</th>
          <th scope="col">${t("versions.note")}</th>${admin ? html`<th scope="col">${t("versions.rollback")}</th>` : null}</tr></thead>
        <tbody>${list.map((v, i) => html`<tr><td>${v.version}${i === 0 ? ` (${t("versions.live")})` : ""}</td><td>${formatDateTime(v.published_at)}</td>
          <td>${v.published_by || "—"}</td><td>${v.note || v.restored_from ? `${v.note || ""}` : "—"}</td>
          ${admin ? html`<td>${i > 0 ? html`<button type="button" class="small" onClick=${() => restore(v.version)}>${t("versions.restore", { version: v.version })}</button>` : null}</td>` : null}</tr>`)}</tbody>
      </table>`}
    <//>
  <//>`;
}
