// Preview / QA: mint a one-hour preview token for a live campaign and see what decide would show
// with it: in the real brand page (a link that opens the site's page with ?xsell_preview=<token>,
// which the tag sends to decide), with the decide request to send from a server or the shell, and
// as the live creative drawn by the real tag renderer. Decide refuses browser origins that are
// not the site's own, so the admin page itself cannot ask.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatDateTime } from "../i18n.js";
import { api, errorAt, fieldErrors } from "../api.js";
import { CodeBlock, ErrorBox, Field, Loadable, Page, describedBy, fieldId, useLoad } from "../components.js";
import { CreativePreview } from "./creative.js";
import { previewLinks } from "../preview_link.js";

/** @param {{token: any}} props */
function InPage({ token }) {
  const [page, setPage] = useState("");
  const { links, error } = previewLinks(page, token.urls);
  const origins = Object.values(token.urls || {}).map((u) => new URL(u).origin).join(", ");
  const fid = fieldId("page_url");
  const message = error === "invalid" ? t("preview.page_invalid") : error === "origin" ? t("preview.page_origin", { origins }) : null;
  return html`<section aria-labelledby="preview-in-page">
    <h2 id="preview-in-page">${t("preview.in_page")}</h2>
    ${origins
      ? html`<${Field} id=${fid} label=${t("preview.page_url")} error=${message} hint=${t("preview.page_hint", { origins })}>
          <input id=${fid} type="url" value=${page} ...${describedBy(fid, message, true)}
            onKeyDown=${(e) => e.key === "Enter" && e.preventDefault()} onInput=${(e) => setPage(e.currentTarget.value)} />
        <//>
        <ul class="links">${links.map((l) => html`<li><a href=${l.href} target="_blank" rel="noopener" data-testid="preview-open" data-site=${l.site}>${t("preview.open", { site: l.site })}</a></li>`)}</ul>
        <p class="hint">${t("preview.open_hint")}</p>`
      : html`<p class="hint">${t("preview.no_page")}</p>`}
  </section>`;
}

function Mint({ campaigns }) {
  const [campaign, setCampaign] = useState(campaigns[0]?.id || "");
  const [site, setSite] = useState("");
  const [creative, setCreative] = useState("");
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [token, setToken] = useState(/** @type {any} */ (null));
  const chosen = campaigns.find((c) => c.id === campaign);
  const live = chosen?.live || {};
  const mint = async (e) => {
    e.preventDefault();
    setErrors({});
    try {
      setToken(await api.post("/previews", { campaign_id: campaign, site_id: site || undefined, creative_id: creative || undefined }));
    } catch (error) {
      setErrors(fieldErrors(error));
      setToken(null);
    }
  };
  const shown = (live.creatives || []).filter((c) => !creative || c.creative_id === creative);
  const siteId = token?.sites?.[0] || site || (live.source_sites || [])[0];
  const body = token ? JSON.stringify({ site: siteId, customer: { id: "qa-preview" }, slots: live.slots || [], preview: token.token }) : "";
  return html`<form class="panel" onSubmit=${mint}>
    <div class="grid3">
      <${Field} id=${fieldId("campaign_id")} label=${t("preview.campaign")} error=${errorAt(errors, "campaign_id")}>
        <select id=${fieldId("campaign_id")} value=${campaign} onChange=${(e) => { setCampaign(e.currentTarget.value); setToken(null); }}>
          ${campaigns.map((c) => html`<option value=${c.id}>${c.id}</option>`)}
        </select>
      <//>
      <${Field} id=${fieldId("site_id")} label=${t("preview.site")} error=${errorAt(errors, "site_id")}>
        <select id=${fieldId("site_id")} value=${site} onChange=${(e) => setSite(e.currentTarget.value)}>
          <option value="">${t("preview.any_site")}</option>${(live.source_sites || []).map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      <//>
      <${Field} id=${fieldId("creative_id")} label=${t("preview.creative")} error=${errorAt(errors, "creative_id")}>
        <select id=${fieldId("creative_id")} value=${creative} onChange=${(e) => setCreative(e.currentTarget.value)}>
          <option value="">${t("preview.any_creative")}</option>${(live.creatives || []).map((c) => html`<option value=${c.creative_id}>${c.creative_id}</option>`)}
        </select>
      <//>
    </div>
    ${errors[""] ? html`<${ErrorBox} error=${new Error(errors[""])} />` : null}
    <button type="submit" class="primary">${t("preview.mint")}</button>
    ${token ? html`<div class="result" data-testid="preview-token">
      <p role="status">✓ ${t("preview.minted", { at: formatDateTime(token.expires_at) })}</p>
      <${InPage} token=${token} />
      <${CodeBlock} id="preview-token-code" label=${t("preview.token")} code=${token.token} />
      <${CodeBlock} id="preview-curl" label=${t("preview.decide")} code=${`curl -s -X POST '<API>/v1/decide' -H 'Content-Type: application/json' -d '${body}'`} />
      <p class="hint">${t("preview.why_curl")}</p>
      <h2>${t("preview.would_show")}</h2>
      ${shown.map((c) => html`<${CreativePreview} creative=${{ ...c, creative_id: c.creative_id }} width=${375} label=${`${c.creative_id} · ${t("creative.phone")}`} />`)}
    </div>` : null}
  </form>`;
}

/** Which campaign a test customer gets in a slot, and why not the others (POST /previews/explain). */
function Explain({ sites }) {
  const [form, setForm] = useState({ site_id: sites[0]?.id || "", slot: (sites[0]?.data?.slots || [])[0] || "", customer_id: "" });
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [answer, setAnswer] = useState(/** @type {any} */ (null));
  const run = async (e) => {
    e.preventDefault();
    setErrors({});
    try {
      setAnswer(await api.post("/previews/explain", form));
    } catch (error) {
      setErrors(fieldErrors(error));
      setAnswer(null);
    }
  };
  const input = (name, type = "text") => html`<${Field} id=${fieldId("explain-" + name)} label=${t("explain." + name)} error=${errorAt(errors, name)}>
    <input id=${fieldId("explain-" + name)} type=${type} value=${form[name]} onInput=${(e) => setForm({ ...form, [name]: e.currentTarget.value })} />
  <//>`;
  return html`<form class="panel" onSubmit=${run} aria-label=${t("explain.title")}>
    <h2>${t("explain.title")}</h2>
    <div class="grid3">${input("site_id")}${input("slot")}${input("customer_id")}</div>
    ${errors[""] ? html`<${ErrorBox} error=${new Error(errors[""])} />` : null}
    <button type="submit">${t("explain.run")}</button>
    ${answer ? html`<div class="result" data-testid="explain-result">
      <p role="status">${answer.winner ? t("explain.winner", { id: answer.winner.campaign_id }) : t("explain.nobody")}</p>
      <table class="list"><caption class="sr-only">${t("explain.title")}</caption>
        <thead><tr><th scope="col">${t("explain.campaign")}</th><th scope="col">${t("explain.priority")}</th><th scope="col">${t("explain.verdict")}</th></tr></thead>
        <tbody>${answer.campaigns.map((c) => html`<tr data-campaign=${c.campaign_id}><td>${c.campaign_id} → ${c.destination_brand}</td><td>${c.priority}</td>
          <td>${c.wins ? "✓ " + t("explain.wins") : c.eligible ? t("explain.eligible") : "✗ " + t("explain.reason." + c.reason)}</td></tr>`)}</tbody>
      </table>
      <p class="hint">${t("explain.note")}</p>
    </div>` : null}
  </form>`;
}

export function Preview() {
  const [load, retry] = useLoad(() => api.get("/campaigns"), []);
  const [sites] = useLoad(() => api.get("/sites"), []);
  return html`<${Page} title=${t("nav.preview")}>
    ${sites.status === "ready" && sites.data.length ? html`<${Explain} sites=${sites.data} />` : null}
    <p class="hint">${t("preview.intro")}</p>
    <${Loadable} load=${load} retry=${retry} empty=${(list) => !list.some((c) => c.live)} emptyText=${t("preview.none")}>
      ${(list) => html`<${Mint} campaigns=${list.filter((c) => c.live)} />`}
    <//>
  <//>`;
}
