// Campaigns: the ones you may see, with their state and approval.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { api, early } from "../api.js";
import { href } from "../router.js";
import { Badge, Loadable, Page, useLoad } from "../components.js";
import { me } from "../auth/session.js";

/** @param {string} state */
export function stateBadge(state) {
  const tone = { published: "ok", new: "info", changed: "warn", deleted: "bad" }[state] || "neutral";
  return html`<${Badge} tone=${tone}>${t("state." + state)}<//>`;
}

/** @param {{status?: string} | undefined} approval */
export function approvalBadge(approval) {
  const status = approval?.status || "not_needed";
  const tone = { approved: "ok", not_needed: "neutral", requested: "info", missing: "warn", stale: "warn", rejected: "bad", invalid: "bad" }[status];
  return html`<${Badge} tone=${tone}>${t("approval." + status)}<//>`;
}

export function Campaigns() {
  const [load, retry] = useLoad(() => api.get("/campaigns"), [], early("/campaigns"));
  const canWrite = me.value?.can_write;
  return html`<${Page} title=${t("nav.campaigns")}
    actions=${canWrite ? html`<a class="button primary" href=${href("campaigns", "new")}>${t("campaign.new")}</a>` : null}>
    <${Loadable} load=${load} retry=${retry} emptyText=${t("campaign.none")}>
      ${(list) => html`<table class="list">
        <caption class="sr-only">${t("nav.campaigns")}</caption>
        <thead><tr>
          <th scope="col">${t("campaign.id")}</th><th scope="col">${t("campaign.name")}</th>
          <th scope="col">${t("campaign.route")}</th><th scope="col">${t("campaign.status")}</th>
          <th scope="col">${t("campaign.state")}</th><th scope="col">${t("campaign.approval")}</th>
        </tr></thead>
        <tbody>
          ${list.map((c) => {
            const d = c.data || c.live || {};
            return html`<tr data-campaign=${c.id}>
              <td><a href=${href("campaigns", c.id)}>${c.id}</a></td>
              <td>${d.name || "—"}</td>
              <td>${(d.source_sites || []).join(", ")} → ${d.destination_brand || "—"}</td>
              <td>${t("status." + (d.status || "draft"))}</td>
              <td>${stateBadge(c.state)}</td>
              <td>${approvalBadge(c.approval)}</td>
            </tr>`;
          })}
        </tbody>
      </table>`}
    <//>
  <//>`;
}
