// The site tag: snippet, conversion tag and the Google Tag Manager variant, ready to copy.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { CodeBlock, Field, Loadable, Page, useLoad } from "../components.js";

function SiteTag({ site }) {
  const [load, retry] = useLoad(() => api.get(`/sites/${encodeURIComponent(site)}/tag`), [site]);
  return html`<${Loadable} load=${load} retry=${retry} empty=${() => false}>
    ${(d) => html`${!d.configured ? html`<p class="notice warn">${t("tag.not_configured")}</p>` : null}
      <${CodeBlock} id="tag-snippet" label=${t("tag.snippet")} code=${d.snippet} />
      ${Object.entries(d.slots || {}).map(([slot, code]) => html`<${CodeBlock} id=${"tag-slot-" + slot} label=${t("tag.slot", { slot })} code=${code} />`)}
      <${CodeBlock} id="tag-conversion" label=${t("tag.conversion")} code=${d.conversion_tag} />
      <${CodeBlock} id="tag-gtm" label=${t("tag.gtm")} code=${d.gtm.snippet} />
      <p class="hint">${d.gtm.instructions}</p>`}
  <//>`;
}

export function Tag() {
  const [sites, retry] = useLoad(() => api.get("/sites"), []);
  const [site, setSite] = useState("");
  return html`<${Page} title=${t("nav.tag")}>
    <${Loadable} load=${sites} retry=${retry} empty=${(list) => !list.filter((s) => s.live).length} emptyText=${t("tag.no_sites")}>
      ${(list) => {
        const live = list.filter((s) => s.live).map((s) => s.id);
        const chosen = site || live[0];
        return html`<${Field} id="tag-site" label=${t("tag.site")}>
            <select id="tag-site" value=${chosen} onChange=${(e) => setSite(e.currentTarget.value)}>${live.map((s) => html`<option value=${s}>${s}</option>`)}</select>
          <//>
          <${SiteTag} key=${chosen} site=${chosen} />`;
      }}
    <//>
  <//>`;
}
