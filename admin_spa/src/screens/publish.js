// Publishing: what a publish would change now (ready) and what waits (held, with the reason),
// then one new version with a note.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { href, route } from "../router.js";
import { me } from "../auth/session.js";
import { Badge, ErrorBox, Field, Loadable, Page, useLoad } from "../components.js";

export function Publish() {
  const [load, retry] = useLoad(() => api.get("/publish"), []);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [result, setResult] = useState(/** @type {any} */ (null));
  const publish = async (plan) => {
    setBusy(true);
    setError(null);
    try {
      const only = route.value.query.get("only");
      const ready = plan.changes.filter((c) => c.ready && (!only || `${c.kind}/${c.id}` === only)).map((c) => `${c.kind}/${c.id}`);
      const answer = await api.post("/publish", { note, expected_version: plan.live_version, only: ready });
      setResult(answer);
      await retry();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Page} title=${t("nav.publish")}>
    ${result ? html`<p class="notice ok" role="status">✓ ${t("publish.done", { version: result.version, n: (result.published || []).length })}</p>` : null}
    <${Loadable} load=${load} retry=${retry} empty=${() => false}>
      ${(plan) => {
        const only = route.value.query.get("only");
        const ready = plan.changes.filter((c) => c.ready && (!only || `${c.kind}/${c.id}` === only));
        const held = plan.changes.filter((c) => !c.ready);
        const row = (c) => html`<tr data-change=${`${c.kind}/${c.id}`}>
          <td>${t("kind." + c.kind)}</td>
          <td>${c.kind === "campaign" ? html`<a href=${href("campaigns", c.id)}>${c.id}</a>` : c.kind === "creative" ? html`<a href=${href("creatives", c.id)}>${c.id}</a>` : c.id}</td>
          <td>${t("action_kind." + c.action)}</td><td>${(c.brands || []).join(", ")}</td>
          <td>${c.ready ? html`<${Badge} tone="ok">${t("publish.ready")}<//>` : html`<${Badge} tone="warn">${t("reason." + (String(c.reason).startsWith("invalid") ? "invalid" : c.reason))}<//> ${String(c.reason).startsWith("invalid") ? html`<span class="detail">${c.reason}</span>` : null}`}</td>
          <td>${(c.diff || []).length}</td></tr>`;
        const table = (list, caption) => html`<table class="list"><caption>${caption} (${list.length})</caption>
          <thead><tr><th scope="col">${t("publish.kind")}</th><th scope="col">${t("publish.id")}</th><th scope="col">${t("publish.action")}</th>
            <th scope="col">${t("publish.brands")}</th><th scope="col">${t("publish.status")}</th><th scope="col">${t("publish.changes")}</th></tr></thead>
          <tbody>${list.map(row)}</tbody></table>`;
        return html`<p>${t("publish.live", { version: plan.live_version })}</p>
          ${only ? html`<p class="notice info">${t("publish.only", { id: only })} <a href=${href("publish")}>${t("publish.show_all")}</a></p>` : null}
          ${plan.changes.length === 0 ? html`<p class="notice empty" data-state="empty">${t("publish.nothing")}</p>` : null}
          ${ready.length ? table(ready, t("publish.ready_list")) : null}
          ${held.length ? table(held, t("publish.held_list")) : null}
          ${ready.length && me.value?.can_write
            ? html`<${Field} id="publish-note" label=${t("publish.note")}><input id="publish-note" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} /><//>
              <button type="button" class="primary" disabled=${busy} onClick=${() => publish(plan)}>${busy ? t("state.working") : t("publish.button", { n: ready.length })}</button>`
            : null}`;
      }}
    <//>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
  <//>`;
}
