// Group settings (docs/campaigns.md "Group settings") as a form, with the raw JSON for power
// users; saved with its rev (409: the other person's version). The API's errors name a path in
// the document, and every input's id is made from the path it edits, so an error lands on it.
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatDateTime } from "../i18n.js";
import { api, errorAt, fieldErrors, ApiError } from "../api.js";
import { me } from "../auth/session.js";
import { ErrorBox, Field, Loadable, Page, describedBy, fieldId, useLoad } from "../components.js";
import { numberOrText } from "../doc.js";
import { METRICS, PERIODS, duplicateRows, fromForm, pairKey, ranksFor, toForm } from "../settings_form.js";
import { stateBadge } from "./campaigns.js";

/** @typedef {import("../settings_form.js").SettingsForm} SettingsForm */

function Editor({ current, brands, onSaved }) {
  const [form, setForm] = useState(() => toForm(current.data || {}));
  const [rev, setRev] = useState(current.rev);
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [conflict, setConflict] = useState(/** @type {any} */ (null));
  const [saved, setSaved] = useState("");
  const [busy, setBusy] = useState(false);
  const [jsonText, setJsonText] = useState(/** @type {string | null} */ (null)); // null: follows the form
  const [jsonError, setJsonError] = useState("");
  const admin = me.value?.role === "group-admin";
  const ro = !admin;

  /** @param {(f: SettingsForm) => void} change */
  const edit = (change) => {
    setForm((f) => {
      const copy = structuredClone(f);
      change(copy);
      return copy;
    });
    setSaved("");
  };
  const err = (path, deep = false) => errorAt(errors, path, deep);
  const brandOptions = (value) => [...new Set([...brands, ...(value && !brands.includes(value) ? [value] : [])])];

  /** A text or number input for the document path `path`. */
  const input = (path, label, value, onValue, props = {}) => {
    const fid = fieldId(path);
    const e = err(path, !!props.deep);
    return html`<${Field} id=${fid} label=${label} error=${e} hint=${props.hint}>
      <input id=${fid} value=${value ?? ""} disabled=${ro} type=${props.type || "text"} list=${props.list} inputmode=${props.number ? "decimal" : undefined}
        ...${describedBy(fid, e, !!props.hint)}
        onInput=${(ev) => onValue(props.number || props.type === "number" ? numberOrText(ev.currentTarget.value) : ev.currentTarget.value)} />
    <//>`;
  };
  const select = (path, label, value, options, labels, onValue, props = {}) => {
    const fid = fieldId(path);
    const e = err(path, !!props.deep);
    const all = [...new Set([...options, ...(value && !options.includes(value) ? [value] : [])])];
    return html`<${Field} id=${fid} label=${label} error=${e}>
      <select id=${fid} disabled=${ro} value=${value ?? ""} ...${describedBy(fid, e)} onChange=${(ev) => onValue(ev.currentTarget.value)}>
        ${props.blank ? html`<option value="">${props.blank}</option>` : null}
        ${all.map((o) => html`<option value=${o}>${labels(o)}</option>`)}
      </select>
    <//>`;
  };
  /** Rows with remove buttons and an add button; `path` is where the API reports the whole list. */
  const rows = (path, label, items, onAdd, onRemove, render) => {
    const e = err(path);
    return html`<fieldset class="rows"><legend>${label}</legend>
      ${e ? html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${e}</p>` : null}
      ${items.length === 0 ? html`<p class="hint">${t("settings.none")}</p>` : null}
      ${items.map((item, i) => html`<div class="row-item">
        ${render(item, i)}
        ${admin ? html`<button type="button" class="small" onClick=${() => onRemove(i)}
          aria-label=${t("action.remove_row", { name: label, n: i + 1 })}>${t("action.remove")}</button>` : null}
      </div>`)}
      ${admin ? html`<button type="button" class="small" onClick=${onAdd}>${t("action.add_row", { name: label })}</button>` : null}
    </fieldset>`;
  };
  const periodLabel = (p) => t("period." + p);

  const save = async (overRev = rev) => {
    setConflict(null);
    setSaved("");
    const repeated = duplicateRows(form); // the document holds one value per name: say so, save nothing
    if (repeated.length) {
      setErrors(Object.fromEntries(repeated.map((k) => [k, t("settings.duplicate")])));
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const answer = await api.put("/settings", { data: fromForm(form), rev: overRev });
      setRev(answer.rev);
      setForm(toForm(answer.data || {}));
      setJsonText(null);
      setSaved(t("campaign.saved", { rev: answer.rev }));
      onSaved(answer);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.current) setConflict(error.current);
      setErrors(fieldErrors(error));
    } finally {
      setBusy(false);
    }
  };
  const applyJson = () => {
    let parsed;
    try {
      parsed = JSON.parse(jsonText ?? "");
    } catch (e) {
      return setJsonError(t("settings.not_json", { detail: e instanceof Error ? e.message : String(e) }));
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return setJsonError(t("settings.not_object"));
    setJsonError("");
    setJsonText(null);
    setForm(toForm(parsed));
    setSaved("");
  };

  const r = form.reciprocity;
  const general = errors[""];
  const shownElsewhere = (k) => typeof document !== "undefined" && document.getElementById(fieldId(k));
  const otherErrors = Object.entries(errors).filter(([k]) => k && !shownElsewhere(k) && !isRowError(k));
  const doc = fromForm(form);

  return html`<form class="editor settings-form" novalidate onSubmit=${(e) => { e.preventDefault(); if (admin && !busy) save(); }}>
    <p class="meta">${stateBadge(current.state)} ${t("campaign.rev", { rev })}
      ${current.updated_by ? html` · ${t("campaign.updated", { who: current.updated_by, at: formatDateTime(current.updated_at) })}` : null}</p>
    <p class="hint" id="settings-hint">${admin ? t("settings.form_hint") : t("settings.read_only")}</p>

    <fieldset class="settings-section"><legend>${t("settings.section.approval")}</legend>
      <label class="check"><input type="checkbox" id=${fieldId("two_person_approval")} disabled=${ro} checked=${form.approval !== false}
        onChange=${(e) => edit((f) => { f.approval = e.currentTarget.checked; })} /> ${t("settings.two_person")}</label>
      <p class="hint">${t("settings.two_person_hint")}</p>
      ${err("two_person_approval") ? html`<p class="field-error" role="alert">⚠ ${err("two_person_approval")}</p>` : null}
    </fieldset>

    <fieldset class="settings-section"><legend>${t("settings.section.domains")}</legend>
      <p class="hint">${t("settings.domains_hint")}</p>
      ${rows("domains", t("settings.domain"), form.domains, () => edit((f) => { f.domains.push(""); }), (i) => edit((f) => { f.domains.splice(i, 1); }),
        (host, i) => input(`domains[${i}]`, t("settings.domain_n", { n: i + 1 }), host, (v) => edit((f) => { f.domains[i] = v; })))}
    </fieldset>

    <fieldset class="settings-section"><legend>${t("settings.section.caps")}</legend>
      <p class="hint">${t("settings.caps_hint")}</p>
      ${form.caps.map((row, b) => html`<div class="settings-brand">
        ${select(`caps-brand-${b}`, t("settings.destination"), row.brand, brandOptions(row.brand), (x) => x, (v) => edit((f) => { f.caps[b].brand = v; }), { blank: t("action.choose") })}
        ${rows(`destination_caps.${row.brand}`, t("settings.caps_of", { brand: row.brand || "—" }), row.caps,
          () => edit((f) => { f.caps[b].caps.push({ metric: "served", period: "day", limit: 1000 }); }),
          (i) => edit((f) => { f.caps[b].caps.splice(i, 1); }),
          (cap, i) => {
            const p = `destination_caps.${row.brand}[${i}]`;
            const setCap = (k, v) => edit((f) => { if (v === undefined) delete f.caps[b].caps[i][k]; else f.caps[b].caps[i][k] = v; });
            return html`${select(p + ".metric", t("campaign.metric"), cap.metric ?? "served", METRICS, (m) => t("metric." + m), (v) => setCap("metric", v))}
              ${select(p + ".period", t("campaign.period"), cap.period ?? "", PERIODS, periodLabel, (v) => setCap("period", v || undefined), { blank: t("action.choose") })}
              ${input(p + ".limit", t("campaign.limit"), cap.limit, (v) => setCap("limit", v), { type: "number" })}`;
          })}
        ${admin ? html`<button type="button" class="small" onClick=${() => edit((f) => { f.caps.splice(b, 1); })}>${t("settings.remove_brand", { brand: row.brand || "—" })}</button>` : null}
      </div>`)}
      ${admin ? html`<button type="button" class="small" onClick=${() => edit((f) => { f.caps.push({ brand: brands.find((x) => !f.caps.some((c) => c.brand === x)) || "", caps: [{ metric: "served", period: "day", limit: 1000 }] }); })}>${t("settings.add_caps_brand")}</button>` : null}
    </fieldset>

    <fieldset class="settings-section"><legend>${t("settings.section.reciprocity")}</legend>
      <p class="hint">${t("settings.reciprocity_hint")}</p>
      ${err("reciprocity") ? html`<p class="field-error" role="alert">⚠ ${err("reciprocity")}</p>` : null}
      ${select("reciprocity.period", t("campaign.period"), r.period ?? "day", PERIODS, periodLabel, (v) => edit((f) => { f.reciprocity.period = v; }))}
      <label class="check"><input type="checkbox" id="settings-recip-default" disabled=${ro} checked=${!r.hasDefault}
        onChange=${(e) => edit((f) => { f.reciprocity.hasDefault = !e.currentTarget.checked; })} /> ${t("settings.no_default")}</label>
      ${r.hasDefault ? html`<div class="grid3">
        ${input("reciprocity.default.ratio", t("settings.ratio"), r.default.ratio, (v) => edit((f) => { f.reciprocity.default.ratio = v; }), { number: true, hint: t("settings.ratio_hint") })}
        ${input("reciprocity.default.allowance", t("settings.allowance"), r.default.allowance, (v) => edit((f) => { f.reciprocity.default.allowance = v; }), { type: "number", hint: t("settings.allowance_hint") })}
      </div>
      ${err("reciprocity.default") ? html`<p class="field-error" role="alert">⚠ ${err("reciprocity.default")}</p>` : null}` : null}
      ${rows("reciprocity.pairs", t("settings.pairs"), r.pairs,
        () => edit((f) => { f.reciprocity.pairs.push({ from: "", to: "", value: { ratio: 1, allowance: 0 } }); }),
        (i) => edit((f) => { f.reciprocity.pairs.splice(i, 1); }),
        (pair, i) => {
          const p = `reciprocity.pairs.${pairKey(pair)}`;
          const rowErr = errors[p];
          const set = (change) => edit((f) => change(f.reciprocity.pairs[i]));
          return html`${select(`pair-from-${i}`, t("settings.pair_from"), pair.from, brandOptions(pair.from), (x) => x, (v) => set((x) => { x.from = v; }), { blank: t("action.choose") })}
            ${select(`pair-to-${i}`, t("settings.pair_to"), pair.to, brandOptions(pair.to), (x) => x, (v) => set((x) => { x.to = v; }), { blank: t("action.choose") })}
            <label class="check"><input type="checkbox" id=${"settings-pair-free-" + i} disabled=${ro} checked=${pair.value === null}
              onChange=${(e) => set((x) => { x.value = e.currentTarget.checked ? null : { ratio: 1, allowance: 0 }; })} /> ${t("settings.unrestricted")}</label>
            ${pair.value !== null ? html`
              ${input(p + ".ratio", t("settings.ratio"), pair.value.ratio, (v) => set((x) => { x.value.ratio = v; }), { number: true })}
              ${input(p + ".allowance", t("settings.allowance"), pair.value.allowance, (v) => set((x) => { x.value.allowance = v; }), { type: "number" })}` : null}
            ${rowErr ? html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${rowErr}</p>` : null}`;
        })}
    </fieldset>

    <fieldset class="settings-section"><legend>${t("settings.section.ranks")}</legend>
      <p class="hint">${t("settings.scales_hint")}</p>
      ${rows("rank_scales", t("settings.scales"), form.scales,
        () => edit((f) => { f.scales.push({ key: ["group", "brand", ...brands].find((k) => !f.scales.some((s) => s.key === k)) || "", text: "" }); }),
        (i) => edit((f) => { f.scales.splice(i, 1); }),
        (scale, i) => html`${select(`scale-key-${i}`, t("settings.scale_for"), scale.key, ["group", "brand", ...brands],
            (k) => (k === "group" || k === "brand" ? t("settings.scale." + k) : k), (v) => edit((f) => { f.scales[i].key = v; }), { blank: t("action.choose") })}
          ${input(`rank_scales.${scale.key}`, t("settings.scale_ranks"), scale.text, (v) => edit((f) => { f.scales[i].text = v; }), { hint: t("settings.scale_ranks_hint") })}`)}
      ${rows("guards", t("settings.guards"), form.guards,
        () => edit((f) => { f.guards.push({ brand: brands.find((x) => !f.guards.some((g) => g.brand === x)) || "", guard: { rank_at_least: "" } }); }),
        (i) => edit((f) => { f.guards.splice(i, 1); }),
        (g, i) => {
          const p = `guards.${g.brand}`;
          const set = (k, v) => edit((f) => { if (v === undefined || v === "") delete f.guards[i].guard[k]; else f.guards[i].guard[k] = v; });
          const listId = `settings-ranks-${i}`;
          return html`${select(`guard-brand-${i}`, t("settings.guard_brand"), g.brand, brandOptions(g.brand), (x) => x, (v) => edit((f) => { f.guards[i].brand = v; }), { blank: t("action.choose") })}
            ${input(p + ".rank_at_least", t("campaign.guard_rank"), g.guard.rank_at_least, (v) => set("rank_at_least", v), { list: listId })}
            <datalist id=${listId}>${ranksFor(form, g.brand).map((x) => html`<option value=${x}></option>`)}</datalist>
            ${input(p + ".ltv_at_least", t("campaign.guard_ltv"), g.guard.ltv_at_least, (v) => set("ltv_at_least", v), { type: "number" })}
            ${errors[p] ? html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${errors[p]}</p>` : null}`;
        })}
    </fieldset>

    <details class="settings-json">
      <summary>${t("settings.json_advanced")}</summary>
      <p class="hint" id="settings-json-hint">${admin ? t("settings.json_hint") : t("settings.read_only")}</p>
      <label for="settings-json">${t("settings.json")}</label>
      <textarea id="settings-json" rows="20" spellcheck="false" readOnly=${ro} value=${jsonText ?? JSON.stringify(doc, null, 2)}
        onInput=${(e) => { setJsonText(e.currentTarget.value); setJsonError(""); }}
        aria-invalid=${jsonError ? "true" : undefined} aria-describedby=${jsonError ? "settings-json-err" : "settings-json-hint"}></textarea>
      ${jsonError ? html`<p class="field-error" id="settings-json-err" role="alert"><span aria-hidden="true">⚠ </span>${jsonError}</p>` : null}
      ${admin ? html`<div class="row">
        <button type="button" disabled=${jsonText === null} onClick=${applyJson}>${t("settings.json_apply")}</button>
        <button type="button" disabled=${jsonText === null} onClick=${() => { setJsonText(null); setJsonError(""); }}>${t("settings.json_reset")}</button>
      </div>` : null}
    </details>

    ${general ? html`<${ErrorBox} error=${new Error(general)} />` : null}
    ${otherErrors.length ? html`<div class="notice error" role="alert">${otherErrors.map(([k, v]) => html`<p><code>${k}</code>: ${v}</p>`)}</div>` : null}
    ${conflict ? html`<div class="notice warn" role="alert" data-testid="conflict">
      <strong>${t("campaign.conflict_title")}</strong>
      <p>${t("campaign.conflict", { who: conflict.updated_by || "—", at: formatDateTime(conflict.updated_at), rev: conflict.rev })}</p>
      <details open><summary>${t("campaign.their_version")}</summary><pre tabindex="0">${JSON.stringify(conflict.data, null, 2)}</pre></details>
      <div class="row">
        <button type="button" onClick=${() => { setForm(toForm(conflict.data || {})); setRev(conflict.rev); setConflict(null); setErrors({}); setJsonText(null); }}>${t("campaign.take_theirs")}</button>
        <button type="button" onClick=${() => save(conflict.rev)}>${t("campaign.keep_mine")}</button>
      </div>
    </div>` : null}
    ${admin ? html`<div class="actions sticky">
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("state.working") : t("action.save")}</button>
      ${saved ? html`<span role="status" class="ok-text">✓ ${saved} ${t("settings.publish_hint")}</span>` : null}
    </div>` : null}
  </form>`;

  /** Errors shown on a row rather than an input (a pair's or a guard's own message). @param {string} k */
  function isRowError(k) {
    return (k.startsWith("reciprocity.pairs.") && r.pairs.some((p) => k === `reciprocity.pairs.${pairKey(p)}`))
      || (k.startsWith("guards.") && form.guards.some((g) => k === `guards.${g.brand}`))
      || k === "reciprocity" || k === "reciprocity.default" || k === "two_person_approval";
  }
}

export function Settings() {
  const [load, retry, setLoaded] = useLoad(async () => {
    const [current, group] = await Promise.all([api.get("/settings"), api.get("/brands")]);
    return { current, brands: /** @type {string[]} */ (group.brands || []) };
  }, []);
  return html`<${Page} title=${t("nav.settings")}>
    <${Loadable} load=${load} retry=${retry} empty=${() => false}>${(d) => html`<${Editor} current=${d.current} brands=${d.brands}
      onSaved=${(current) => setLoaded({ ...d, current })} />`}<//>
  <//>`;
}
export { ErrorBox };
