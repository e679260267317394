// One creative: a template, its fields with counters (each template's limits), the link
// checked by the API against the group's domains, and a live preview drawn by the real tag
// renderer (tag/src/render.ts) inside the slot's reserved size at phone and desktop widths.
// An image can be uploaded instead of typed: its URL then fills the image URL field.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatNumber, formatPercent } from "../i18n.js";
import { api, errorAt, fieldErrors, ApiError } from "../api.js";
import { href, navigate } from "../router.js";
import { me } from "../auth/session.js";
import { ErrorBox, Field, Loadable, Page, describedBy, errorMessage, fieldId, useLoad } from "../components.js";
import { creativeNode, fillSlot } from "../../../tag/src/render.ts";
import { stateBadge } from "./campaigns.js";
import { TEMPLATE_LIMITS, templateSpec } from "../templates.js";
import { IMAGE_ACCEPT, describeImage, putWithProgress } from "../upload.js";

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

/** The words for a failed image upload: the API's own for a 400, else by kind. @param {unknown} error */
function uploadError(error) {
  if (error instanceof ApiError) return error.status === 400 ? error.message : errorMessage(error);
  return error instanceof Error ? error.message : String(error);
}

/**
 * "Upload an image": checks the chosen file here (type by its bytes, size), asks the API where
 * to PUT it, sends it with progress, then hands the URL it is served from to `onUploaded`.
 * Each error shows at this input; a newer choice makes an older upload's outcome moot.
 * @param {{onUploaded: (url: string) => void}} props
 */
export function ImageUpload({ onUploaded }) {
  const fid = fieldId("fields.image_url.upload");
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [progress, setProgress] = useState(/** @type {number | null} */ (null));
  const [done, setDone] = useState("");
  const latest = useRef(0);
  const choose = async (/** @type {Event} */ ev) => {
    const input = /** @type {HTMLInputElement} */ (ev.currentTarget);
    const file = input.files?.[0];
    const n = ++latest.current;
    const current = () => n === latest.current;
    setError(null);
    setDone("");
    setProgress(null);
    if (!file) return;
    const fail = (/** @type {string} */ message) => {
      if (!current()) return;
      setProgress(null);
      setError(message);
      input.value = ""; // choosing the same file again (fixed, say) is a change again
    };
    let image;
    try {
      image = await describeImage(file);
    } catch {
      return fail(t("upload.image_unreadable"));
    }
    if (image.problem) return fail(t(image.problem, { size: formatNumber(file.size) }));
    try {
      if (!current()) return;
      setProgress(0);
      const answer = await api.post("/creative-images", image.body);
      if (!current()) return;
      await putWithProgress(answer.upload.url, image.bytes, answer.upload.headers, (share) => current() && setProgress(share));
      if (!current()) return;
      setProgress(1);
      setDone(t("creative.uploaded", { name: file.name }));
      onUploaded(answer.image_url);
    } catch (failure) {
      fail(uploadError(failure));
    }
  };
  // The status line is always there (empty until done), so screen readers announce what appears in it.
  return html`<div class="image-upload">
    <${Field} id=${fid} label=${t("creative.upload")} error=${error} hint=${t("creative.upload_hint")}>
      <input id=${fid} type="file" accept=${IMAGE_ACCEPT} onChange=${choose} ...${describedBy(fid, error, true)} />
    <//>
    ${progress !== null
      ? html`<label class="progress">${t("creative.upload_progress")} <progress max="1" value=${progress}>${formatPercent(progress)}</progress> ${formatPercent(progress)}</label>`
      : null}
    <p class="ok-text" role="status">${done ? `✓ ${done}` : ""}</p>
  </div>`;
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
  // From the latest fields, not this render's: an upload finishes after other fields may have changed.
  const setField = (name, value) => {
    setDoc((d) => ({ ...d, fields: { ...d.fields, [name]: value } }));
    setSaved("");
  };

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
          const upload = name === "image_url" && canWrite ? html`<${ImageUpload} onUploaded=${(url) => setField(name, url)} />` : null;
          return html`<${Field} id=${fid} label=${label} error=${e || (over ? t("creative.too_long", { limit }) : null)} hint=${hint}
            counter=${counted ? `${n} / ${limit}${over ? " " + t("creative.over") : ""}` : null}>
            <${Tag} id=${fid} value=${value} disabled=${!canWrite} required=${!optional} type=${name.endsWith("_url") ? "url" : undefined}
              aria-invalid=${e || over ? "true" : undefined} aria-describedby=${[hint ? fid + "-hint" : "", counted ? fid + "-count" : "", e || over ? fid + "-err" : ""].filter(Boolean).join(" ") || undefined}
              onInput=${(ev) => setField(name, ev.currentTarget.value)} />
          <//>${upload}`;
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
