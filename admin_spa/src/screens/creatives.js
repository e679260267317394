// The creative library.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { api, early } from "../api.js";
import { href } from "../router.js";
import { me } from "../auth/session.js";
import { Loadable, Page, useLoad } from "../components.js";
import { stateBadge } from "./campaigns.js";

export function Creatives() {
  const [load, retry] = useLoad(() => api.get("/creatives"), [], early("/creatives"));
  return html`<${Page} title=${t("nav.creatives")}
    actions=${me.value?.can_write ? html`<a class="button primary" href=${href("creatives", "new")}>${t("creative.new")}</a>` : null}>
    <${Loadable} load=${load} retry=${retry} emptyText=${t("creative.none")}>
      ${(list) => html`<table class="list">
        <caption class="sr-only">${t("nav.creatives")}</caption>
        <thead><tr><th scope="col">${t("creative.id")}</th><th scope="col">${t("creative.name")}</th><th scope="col">${t("creative.brand")}</th>
          <th scope="col">${t("creative.template")}</th><th scope="col">${t("creative.title_field")}</th><th scope="col">${t("campaign.state")}</th></tr></thead>
        <tbody>${list.map((c) => {
          const d = c.data || c.live || {};
          return html`<tr data-creative=${c.id}><td><a href=${href("creatives", c.id)}>${c.id}</a></td><td>${d.name || "—"}</td>
            <td>${d.brand}</td><td>${t("template." + d.template)}</td><td>${(d.fields || {}).title || (d.fields || {}).alt || "—"}</td><td>${stateBadge(c.state)}</td></tr>`;
        })}</tbody>
      </table>`}
    <//>
  <//>`;
}
