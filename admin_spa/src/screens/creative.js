// One creative: a template, its fields with counters (each template's limits), the link
// checked by the API against the group's domains, and a live preview drawn by the real tag
// renderer (tag/src/render.ts) inside the slot's reserved size at phone and desktop widths.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { api, errorAt, fieldErrors, ApiError } from "../api.js";
import { href, navigate } from "../router.js";
import { me } from "../auth/session.js";
import { ErrorBox, Field, Loadable, Page, describedBy, fieldId, useLoad } from "../components.js";
import { creativeNode, fillSlot } from "../../../tag/src/render.ts";
import { stateBadge } from "./campaigns.js";
import { TEMPLATE_LIMITS, templateSpec } from "../templates.js";

/** The slot sizes the demo sites reserve (sites do not declare them in the config). */
export const SLOT_HEIGHT = 122;

/** Characters as the API counts them (code points). @param {string} s */
export function length(s) {
  return [...(s || "")].length;
}

/** @param {{creative: any, width: number, label: string}} props */
export function CreativePreview({ creative, width, label }) {
  const slot = useRef(/** @type {HTMLDivElement | null} */ (null));
  const [refused, setRefused] = useState(false);
  useEffect(() => {
    if (!slot.current) return;
    const node = creativeNode({ campaign_id: "preview", creative_id: creative.creative_id || "preview", template: creative.template, fields: creative.fields || {} });
    if (node) {
      node.addEventListener("click", (e) => e.preventDefault()); // a preview never navigates
      node.tabIndex = -1;
      fillSlot(slot.current, node); // contained in the slot exactly as the tag contains it
    } else slot.current.replaceChildren();
    setRefused(!node);
  }, [JSON.stringify(creative)]);
  return html`<figure class="preview-frame" style=${{ width: `${width}px` }}>
    <figcaption>${label} (${width}px)</figcaption>
    <div class="xsell-preview-slot" data-xsell-slot="preview" ref=${slot} style=${{ height: `${SLOT_HEIGHT}px` }} aria-label=${label}></div>
    ${refused ? html`<p class="hint">${t("creative.not_shown")}</p>` : null}
  </figure>`;
}

export function CreativeEdit({ id }) {
  const isNew = id === "new";
  const [load, retry, setLoaded] = useLoad(() => (isNew ? Promise.resolve(null) : api.get(`/creatives/${encodeURIComponent(id)}`)), [id]);
  return html`<${Page} title=${isNew ? t("creative.new") : t("creative.title", { id })}>
    <p><a href=${href("creatives")}>← ${t("nav.creatives")}</a></p>
    <${Loadable} load=${load} retry=${retry} empty=${() => false}>
      ${(current) => html`<${Editor} key=${id} isNew=${isNew} id=${id} current=${current}
        onSaved=${(doc) => (isNew ? navigate(`/creatives/${doc.id}`) : setLoaded(doc))} />`}
    <//>
  <//>`;
}

function Editor({ isNew, id, current, onSaved }) {
  const start = current?.data || current?.live || { brand: me.value?.brand || "", template: "text_card", fields: {} };
  const [doc, setDoc] = useState(start);
  const [newId, setNewId] = useState("");
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const canWrite = !!me.value?.can_write;
  const spec = templateSpec(doc.template);
  const fields = [...spec.required, ...spec.optional];
  const set = (patch) => {
    setDoc((d) => ({ ...d, ...patch }));
    setSaved("");
  };
  const setField = (name, value) => set({ fields: { ...doc.fields, [name]: value } });

  const save = async () => {
    setBusy(true);
    setErrors({});
    const docId = isNew ? newId.trim() : id;
    try {
      if (!docId) throw new ApiError(400, { message: t("creative.id_required"), field: "creative.creative_id" });
      const kept = Object.fromEntries(Object.entries(doc.fields || {}).filter(([k, v]) => fields.includes(k) && v !== ""));
      const data = { ...doc, fields: kept };
      if (!data.name) delete data.name;
      const answer = await api.put(`/creatives/${encodeURIComponent(docId)}`, isNew ? { data } : { data, rev: current.rev });
      setSaved(t("campaign.saved", { rev: answer.rev }));
      onSaved(answer);
    } catch (error) {
      setErrors(fieldErrors(error));
    } finally {
      setBusy(false);
    }
  };
  const plain = (name, label, value, onInput, extra = {}) => {
    const fid = fieldId(name);
    const e = errorAt(errors, name);
    return html`<${Field} id=${fid} label=${label} error=${e} hint=${extra.hint}>
      <input id=${fid} value=${value} disabled=${!canWrite || extra.disabled} ...${describedBy(fid, e, !!extra.hint)} onInput=${(ev) => onInput(ev.currentTarget.value)} />
    <//>`;
  };
  const other = Object.entries(errors).filter(([k]) => k && !document.getElementById(fieldId(k)));
  return html`<form class="editor creative-editor" novalidate onSubmit=${(e) => { e.preventDefault(); if (canWrite && !busy) save(); }}>
    ${current ? html`<p class="meta">${stateBadge(current.state)} ${t("campaign.rev", { rev: current.rev })}</p>` : null}
    <div class="two-col">
      <div>
        ${isNew ? plain("creative_id", t("creative.id"), newId, setNewId, { hint: t("campaign.id_hint") }) : null}
        ${plain("name", t("creative.name"), doc.name || "", (v) => set({ name: v }))}
        ${plain("brand", t("creative.brand"), doc.brand || "", (v) => set({ brand: v }), { disabled: me.value?.role === "brand-marketer", hint: t("creative.brand_hint") })}
        <${Field} id=${fieldId("template")} label=${t("creative.template")} error=${errorAt(errors, "template")}>
          <select id=${fieldId("template")} value=${doc.template} disabled=${!canWrite} onChange=${(e) => set({ template: e.currentTarget.value })}>
            ${Object.keys(TEMPLATE_LIMITS).map((k) => html`<option value=${k}>${t("template." + k)}</option>`)}
          </select>
        <//>
        ${fields.map((name) => {
          const path = `fields.${name}`;
          const fid = fieldId(path);
          const e = errorAt(errors, path);
          const value = (doc.fields || {})[name] || "";
          const limit = spec.limit(name);
          const n = length(value);
          const counted = ["title", "body", "cta", "alt"].includes(name);
          const over = counted && n > limit;
          const optional = spec.optional.includes(name);
          const label = `${t("field." + name)}${optional ? ` (${t("creative.optional")})` : ""}`;
          const hint = name === "link_url" ? t("creative.link_hint") : name === "image_url" ? t("creative.image_hint") : null;
          const Tag = name === "body" ? "textarea" : "input";
          return html`<${Field} id=${fid} label=${label} error=${e || (over ? t("creative.too_long", { limit }) : null)} hint=${hint}
            counter=${counted ? `${n} / ${limit}${over ? " " + t("creative.over") : ""}` : null}>
            <${Tag} id=${fid} value=${value} disabled=${!canWrite} required=${!optional} type=${name.endsWith("_url") ? "url" : undefined}
              aria-invalid=${e || over ? "true" : undefined} aria-describedby=${[hint ? fid + "-hint" : "", counted ? fid + "-count" : "", e || over ? fid + "-err" : ""].filter(Boolean).join(" ") || undefined}
              onInput=${(ev) => setField(name, ev.currentTarget.value)} />
          <//>`;
        })}
      </div>
      <div class="previews" aria-label=${t("creative.preview")}>
        <h2>${t("creative.preview")}</h2>
        <p class="hint">${t("creative.preview_hint", { height: SLOT_HEIGHT })}</p>
        <${CreativePreview} creative=${doc} width=${375} label=${t("creative.phone")} />
        <${CreativePreview} creative=${doc} width=${728} label=${t("creative.desktop")} />
      </div>
    </div>
    ${errors[""] ? html`<${ErrorBox} error=${new Error(errors[""])} />` : null}
    ${other.length ? html`<div class="notice error" role="alert">${other.map(([k, v]) => html`<p><code>${k}</code>: ${v}</p>`)}</div>` : null}
    <div class="actions">
      ${canWrite ? html`<button type="submit" class="primary" disabled=${busy}>${busy ? t("state.working") : t("action.save")}</button>` : null}
      ${saved ? html`<span role="status" class="ok-text">✓ ${saved}</span>` : null}
    </div>
  </form>`;
}
