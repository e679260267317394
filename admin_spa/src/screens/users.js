// The admin users (group admins only).
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { html } from "../html.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { Badge, Loadable, Page, useLoad } from "../components.js";

export function Users() {
  const [load, retry] = useLoad(() => api.get("/users"), []);
  return html`<${Page} title=${t("nav.users")}>
    <${Loadable} load=${load} retry=${retry} empty=${(d) => !d.users.length} emptyText=${t("users.none")}>
      ${(d) => html`<table class="list"><caption class="sr-only">${t("nav.users")}</caption>
        <thead><tr><th scope="col">${t("users.email")}</th><th scope="col">${t("users.role")}</th><th scope="col">${t("users.brand")}</th><th scope="col">${t("users.status")}</th></tr></thead>
        <tbody>${d.users.map((u) => html`<tr><td>${u.email}</td><td>${u.role ? t("role." + u.role) : t("users.no_role")}</td><td>${u.brand || "—"}</td>
          <td>${u.enabled ? html`<${Badge} tone="ok">${u.status || t("users.enabled")}<//>` : html`<${Badge} tone="bad">${t("users.disabled")}<//>`}</td></tr>`)}</tbody>
      </table>
      <p class="hint">${t("users.hint")}</p>`}
    <//>
  <//>`;
}
