// One campaign: where (sites, slots), who (targeting), when (schedule), what (creatives as A/B
// variants), volume (priority, caps, frequency, guard, holdout); save with its rev (409: the
// other person's version), approval (request, approve/reject with the reviewed fingerprint).
import "../preloaded.js"; // app.js loaded these already: see preloaded.js
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t, formatDateTime } from "../i18n.js";
import { api, errorAt, fieldErrors, ApiError } from "../api.js";
import { href, navigate } from "../router.js";
import { me } from "../auth/session.js";
import { Badge, ErrorBox, Field, Loadable, Page, describedBy, fieldId, useLoad } from "../components.js";
import { TargetingBuilder } from "../targeting_builder.js";
import { compact, getIn, numberOrText, setIn } from "../doc.js";
import { approvalBadge, stateBadge } from "./campaigns.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const PERIODS = ["day", "week", "month", "total"];

export const BLANK = {
  name: "",
  status: "draft",
  source_sites: [],
  slots: [],
  destination_brand: "",
  priority: 1,
  weight: 1,
  only_new_to_destination: true,
  creatives: [{ creative_id: "", weight: 1 }],
  holdout_pct: 0,
  caps: [],
  frequency: [],
};

/** The document as saved: empty optional parts left out. @param {any} doc */
export function forSave(doc) {
  const out = compact({ ...doc, targeting: undefined });
  if (doc.targeting) out.targeting = doc.targeting;
  if (typeof doc.only_new_to_destination === "boolean") out.only_new_to_destination = doc.only_new_to_destination;
  if (doc.holdout_pct === 0) out.holdout_pct = 0;
  return out;
}

export function CampaignEdit({ id }) {
  const isNew = id === "new";
  const [load, retry, setLoaded] = useLoad(async () => {
    const [doc, sites, creatives, group] = await Promise.all([
      isNew ? Promise.resolve(null) : api.get(`/campaigns/${encodeURIComponent(id)}`),
      api.get("/sites"),
      api.get("/creatives"),
      api.get("/brands"), // every brand of the group: a brand marketer sees only their own sites
    ]);
    return { doc, sites, creatives, brands: /** @type {string[]} */ (group.brands) };
  }, [id]);
  return html`<${Page} title=${isNew ? t("campaign.new") : t("campaign.title", { id })}>
    <p><a href=${href("campaigns")}>← ${t("nav.campaigns")}</a></p>
    <${Loadable} load=${load} retry=${retry} empty=${() => false}>
      ${(data) => html`<${Editor} key=${id} id=${id} isNew=${isNew} loaded=${data}
        onSaved=${(doc) => (isNew ? navigate(`/campaigns/${doc.id}`) : setLoaded({ ...data, doc }))} />`}
    <//>
  <//>`;
}

function Editor({ id, isNew, loaded, onSaved }) {
  const { sites, creatives } = loaded;
  const current = loaded.doc;
  const [doc, setDoc] = useState(() => (current ? { ...BLANK, ...(current.data || current.live || {}) } : { ...BLANK }));
  const [newId, setNewId] = useState("");
  const [rev, setRev] = useState(current?.rev);
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [conflict, setConflict] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const canWrite = !!me.value?.can_write && current?.state !== "deleted";

  const brands = loaded.brands;
  const sourceBrands = new Set(sites.filter((s) => (doc.source_sites || []).includes(s.id)).map((s) => (s.data || s.live || {}).brand));
  const destinations = brands.filter((b) => !sourceBrands.has(b));
  const siteSlots = (ids) => [...new Set(sites.filter((s) => ids.includes(s.id)).flatMap((s) => (s.data || s.live || {}).slots || []))];
  const set = (path, value) => {
    setDoc((d) => setIn(d, path, value));
    setSaved("");
  };
  const err = (path, deep = false) => errorAt(errors, path, deep);
  const input = (path, label, props = {}) => {
    const fid = fieldId(path);
    const e = err(path);
    const value = getIn(doc, path);
    return html`<${Field} id=${fid} label=${label} error=${e} hint=${props.hint}>
      <input id=${fid} value=${value ?? ""} disabled=${!canWrite} type=${props.type || "text"} list=${props.list} ...${describedBy(fid, e, !!props.hint)}
        onInput=${(ev) => set(path, props.number ? numberOrText(ev.currentTarget.value) : ev.currentTarget.value || undefined)} />
    <//>`;
  };
  const checkboxes = (path, label, options, labels = (o) => o) => {
    const chosen = getIn(doc, path) || [];
    const e = err(path, true);
    return html`<fieldset class="checks" aria-describedby=${e ? fieldId(path) + "-err" : undefined}>
      <legend>${label}</legend>
      ${options.length === 0 ? html`<p class="hint">${t("campaign.none_to_choose")}</p>` : null}
      ${options.map((o) => html`<label class="check"><input type="checkbox" disabled=${!canWrite} checked=${chosen.includes(o)}
        onChange=${(ev) => set(path, ev.currentTarget.checked ? [...chosen, o] : chosen.filter((x) => x !== o))} /> ${labels(o)}</label>`)}
      ${e ? html`<p class="field-error" id=${fieldId(path) + "-err"} role="alert"><span aria-hidden="true">⚠ </span>${e}</p>` : null}
    </fieldset>`;
  };
  const rows = (path, label, blank, render) => {
    const list = getIn(doc, path) || [];
    const e = err(path);
    return html`<fieldset class="rows"><legend>${label}</legend>
      ${e ? html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${e}</p>` : null}
      ${list.map((item, i) => html`<div class="row-item">
        ${render(`${path}[${i}]`, item, i)}
        ${canWrite ? html`<button type="button" class="small" onClick=${() => set(path, list.filter((_, j) => j !== i))}
          aria-label=${t("action.remove_row", { name: label, n: i + 1 })}>${t("action.remove")}</button>` : null}
      </div>`)}
      ${canWrite ? html`<button type="button" class="small" onClick=${() => set(path, [...list, blank])}>${t("action.add_row", { name: label })}</button>` : null}
    </fieldset>`;
  };
  const select = (path, label, options, labels = (o) => o) => {
    const fid = fieldId(path);
    const e = err(path);
    const value = getIn(doc, path) ?? "";
    return html`<${Field} id=${fid} label=${label} error=${e}>
      <select id=${fid} disabled=${!canWrite} value=${value} ...${describedBy(fid, e)} onChange=${(ev) => set(path, ev.currentTarget.value || undefined)}>
        <option value="">${t("action.choose")}</option>
        ${[...new Set([...options, ...(value && !options.includes(value) ? [value] : [])])].map((o) => html`<option value=${o}>${labels(o)}</option>`)}
      </select>
    <//>`;
  };

  const save = async (overRev = rev) => {
    setBusy(true);
    setErrors({});
    setConflict(null);
    const docId = isNew ? newId.trim() : id;
    try {
      if (isNew && !docId) throw new ApiError(400, { message: t("campaign.id_required"), field: "campaign.campaign_id" });
      const body = isNew && overRev === undefined ? { data: forSave(doc) } : { data: forSave(doc), rev: overRev };
      const answer = await api.put(`/campaigns/${encodeURIComponent(docId)}`, body);
      setRev(answer.rev);
      setSaved(t("campaign.saved", { rev: answer.rev }));
      onSaved(answer);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.current) setConflict(error.current);
      setErrors(fieldErrors(error));
    } finally {
      setBusy(false);
    }
  };

  const general = errors[""];
  const otherErrors = Object.entries(errors).filter(([k]) => k && !document.getElementById(fieldId(k)));
  return html`<form class="editor" onSubmit=${(e) => { e.preventDefault(); if (canWrite && !busy) save(); }} novalidate>
    ${current ? html`<p class="meta">${stateBadge(current.state)} ${approvalBadge(current.approval)}
      ${t("campaign.rev", { rev: current.rev })} · ${t("campaign.updated", { who: current.updated_by || "—", at: formatDateTime(current.updated_at) })}</p>` : null}
    ${current?.problem ? html`<p class="notice warn" role="status">${t("campaign.problem", { detail: current.problem.message })}</p>` : null}
    ${!me.value?.can_write ? html`<p class="notice info">${t("role.read_only")}</p>` : null}

    <h2>${t("campaign.section.basics")}</h2>
    ${isNew ? html`<${Field} id=${fieldId("campaign_id")} label=${t("campaign.id")} error=${err("campaign_id")} hint=${t("campaign.id_hint")}>
      <input id=${fieldId("campaign_id")} value=${newId} required pattern="[a-z0-9][a-z0-9_-]*" ...${describedBy(fieldId("campaign_id"), err("campaign_id"), true)}
        onInput=${(e) => setNewId(e.currentTarget.value)} />
    <//>` : null}
    ${input("name", t("campaign.name"))}
    ${select("status", t("campaign.status"), ["draft", "active", "paused"], (s) => t("status." + s))}

    <h2>${t("campaign.section.where")}</h2>
    ${checkboxes("source_sites", t("campaign.source_sites"), sites.map((s) => s.id), (s) => `${s} (${(sites.find((x) => x.id === s)?.data || {}).brand || ""})`)}
    ${checkboxes("slots", t("campaign.slots"), siteSlots(doc.source_sites || []).concat((doc.slots || []).filter((s) => !siteSlots(doc.source_sites || []).includes(s))))}
    ${input("destination_brand", t("campaign.destination"), { hint: t("campaign.destination_hint"), list: "campaign-destinations" })}
    <datalist id="campaign-destinations">${destinations.map((b) => html`<option value=${b}></option>`)}</datalist>

    <h2>${t("campaign.section.who")}</h2>
    <p class="hint">${t("campaign.targeting_hint")}</p>
    <${TargetingBuilder} value=${doc.targeting ?? null} brands=${brands} errors=${errors} onChange=${(v) => set("targeting", v ?? undefined)} />
    <label class="check"><input type="checkbox" disabled=${!canWrite} checked=${doc.only_new_to_destination !== false}
      onChange=${(e) => set("only_new_to_destination", e.currentTarget.checked)} /> ${t("campaign.only_new")}</label>

    <h2>${t("campaign.section.when")}</h2>
    <div class="grid3">
      ${input("schedule.start", t("campaign.start"), { hint: t("campaign.datetime_hint") })}
      ${input("schedule.end", t("campaign.end"), { hint: t("campaign.end_hint") })}
      ${input("schedule.timezone", t("campaign.timezone"), { hint: t("campaign.timezone_hint") })}
    </div>
    ${checkboxes("schedule.days", t("campaign.days"), DAYS, (d) => t("day." + d))}
    ${rows("schedule.hours", t("campaign.hours"), { from: "09:00", to: "18:00" }, (p) => html`
      ${input(p + ".from", t("campaign.from"))}${input(p + ".to", t("campaign.to"))}`)}

    <h2>${t("campaign.section.what")}</h2>
    ${rows("creatives", t("campaign.creatives"), { creative_id: "", weight: 1 }, (p) => html`
      ${select(p + ".creative_id", t("campaign.creative"), creatives.map((c) => c.id), (c) => {
        const d = creatives.find((x) => x.id === c)?.data || {};
        return `${c} — ${d.name || (d.fields || {}).title || d.template || ""}`;
      })}
      ${input(p + ".weight", t("campaign.variant_weight"), { number: true, type: "number" })}`)}

    <h2>${t("campaign.section.volume")}</h2>
    <div class="grid3">
      ${input("priority", t("campaign.priority"), { number: true, type: "number", hint: t("campaign.priority_hint") })}
      ${input("weight", t("campaign.weight"), { number: true, type: "number" })}
      ${input("holdout_pct", t("campaign.holdout"), { number: true, type: "number", hint: t("campaign.holdout_hint") })}
    </div>
    ${rows("caps", t("campaign.caps"), { metric: "served", period: "day", limit: 1000 }, (p) => html`
      ${select(p + ".metric", t("campaign.metric"), ["served", "clicks"], (m) => t("metric." + m))}
      ${select(p + ".period", t("campaign.period"), PERIODS, (x) => t("period." + x))}
      ${input(p + ".limit", t("campaign.limit"), { number: true, type: "number" })}`)}
    ${rows("frequency", t("campaign.frequency"), { period: "day", limit: 1 }, (p) => html`
      ${select(p + ".period", t("campaign.period"), PERIODS, (x) => t("period." + x))}
      ${input(p + ".limit", t("campaign.limit"), { number: true, type: "number" })}`)}
    <div class="grid3">
      ${input("guard.rank_at_least", t("campaign.guard_rank"), { hint: t("campaign.guard_hint") })}
      ${input("guard.ltv_at_least", t("campaign.guard_ltv"), { number: true, type: "number" })}
    </div>

    ${general ? html`<${ErrorBox} error=${new Error(general)} />` : null}
    ${otherErrors.length ? html`<div class="notice error" role="alert">${otherErrors.map(([k, v]) => html`<p><code>${k}</code>: ${v}</p>`)}</div>` : null}
    ${conflict ? html`<${Conflict} conflict=${conflict} onTake=${() => { setDoc({ ...BLANK, ...conflict.data }); setRev(conflict.rev); setConflict(null); setErrors({}); }}
      onOverwrite=${() => save(conflict.rev)} />` : null}
    <div class="actions sticky">
      ${canWrite ? html`<button type="submit" class="primary" disabled=${busy}>${busy ? t("state.working") : t("action.save")}</button>` : null}
      ${saved ? html`<span role="status" class="ok-text">✓ ${saved}</span>` : null}
    </div>
    ${current ? html`<${Approval} campaign=${current} onChange=${onSaved} />` : null}
    ${current && canWrite ? html`<${Delete} campaign=${current} />` : null}
  </form>`;
}

function Conflict({ conflict, onTake, onOverwrite }) {
  return html`<div class="notice warn" role="alert" data-testid="conflict">
    <strong>${t("campaign.conflict_title")}</strong>
    <p>${t("campaign.conflict", { who: conflict.updated_by || "—", at: formatDateTime(conflict.updated_at), rev: conflict.rev })}</p>
    <details open><summary>${t("campaign.their_version")}</summary><pre tabindex="0">${JSON.stringify(conflict.data, null, 2)}</pre></details>
    <div class="row">
      <button type="button" onClick=${onTake}>${t("campaign.take_theirs")}</button>
      <button type="button" onClick=${onOverwrite}>${t("campaign.keep_mine")}</button>
    </div>
  </div>`;
}

/** Approval: ask for it, or (the second person) approve or reject exactly the content reviewed. */
function Approval({ campaign, onChange }) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [done, setDone] = useState("");
  const approval = campaign.approval || { status: "not_needed" };
  const status = approval.status;
  const mine = me.value && [campaign.updated_by, approval.requested_by].includes(me.value.email);
  const act = async (path, body, message) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post(`/campaigns/${encodeURIComponent(campaign.id)}/${path}`, body);
      setDone(message);
      onChange(answer);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const canRequest = me.value?.can_write && ["missing", "rejected", "stale"].includes(status);
  const canDecide = me.value?.can_write && !mine && ["requested", "stale", "missing", "rejected"].includes(status) && status !== "not_needed";
  return html`<section class="panel" aria-labelledby="approval-title">
    <h2 id="approval-title">${t("approval.title")}</h2>
    <p>${approvalBadge(approval)} ${approval.requested_by ? t("approval.requested_by", { who: approval.requested_by, at: formatDateTime(approval.requested_at) }) : null}
      ${approval.decided_by ? t("approval.decided_by", { who: approval.decided_by, at: formatDateTime(approval.decided_at) }) : null}</p>
    ${approval.comment ? html`<p>${t("approval.comment")}: ${approval.comment}</p>` : null}
    ${approval.decision_comment ? html`<p>${t("approval.decision_comment")}: ${approval.decision_comment}</p>` : null}
    ${status === "not_needed" ? html`<p class="hint">${t("approval.not_needed_hint")}</p>` : null}
    ${status === "approved" ? html`<p><a href=${"#/publish?only=" + encodeURIComponent("campaign/" + campaign.id)}>${t("approval.go_publish")}</a></p>` : null}
    ${(canRequest || canDecide) ? html`<${Field} id="approval-comment" label=${t("approval.comment")}>
      <textarea id="approval-comment" rows="2" value=${comment} onInput=${(e) => setComment(e.currentTarget.value)}></textarea>
    <//>` : null}
    ${canRequest ? html`<button type="button" disabled=${busy} onClick=${() => act("approval-request", { comment }, t("approval.request_sent"))}>${t("approval.request")}</button>` : null}
    ${canDecide && status === "requested" ? html`<div class="review">
      <h3>${t("approval.review")}</h3>
      <p class="hint">${t("approval.review_hint", { fingerprint: approval.fingerprint })}</p>
      ${campaign.diff?.length ? html`<table class="list diff"><caption>${t("approval.diff")}</caption>
        <thead><tr><th scope="col">${t("diff.path")}</th><th scope="col">${t("diff.before")}</th><th scope="col">${t("diff.after")}</th></tr></thead>
        <tbody>${campaign.diff.map((d) => html`<tr><td><code>${d.path}</code></td><td><code>${JSON.stringify(d.before)}</code></td><td><code>${JSON.stringify(d.after)}</code></td></tr>`)}</tbody>
      </table>` : null}
      <details><summary>${t("approval.resolved")}</summary><pre tabindex="0" data-testid="resolved">${JSON.stringify(campaign.resolved, null, 2)}</pre></details>
      <div class="row">
        <button type="button" class="primary" disabled=${busy} onClick=${() => act("approve", { fingerprint: approval.fingerprint, comment }, t("approval.approved_done"))}>${t("approval.approve")}</button>
        <button type="button" disabled=${busy} onClick=${() => act("reject", { fingerprint: approval.fingerprint, comment }, t("approval.rejected_done"))}>${t("approval.reject")}</button>
      </div>
    </div>` : null}
    ${mine && status === "requested" ? html`<p class="hint">${t("approval.wait_other")}</p>` : null}
    ${done ? html`<p role="status" class="ok-text">✓ ${done}</p>` : null}
    ${error ? html`<${ErrorBox} error=${error} />` : null}
  </section>`;
}

function Delete({ campaign }) {
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const remove = async () => {
    if (!confirm(t("campaign.delete_confirm", { id: campaign.id }))) return;
    try {
      await api.del(`/campaigns/${encodeURIComponent(campaign.id)}?rev=${campaign.rev}`);
      navigate("/campaigns");
    } catch (e) {
      setError(e);
    }
  };
  return html`<section class="panel danger"><h2>${t("campaign.delete_title")}</h2>
    <p class="hint">${t("campaign.delete_hint")}</p>
    <button type="button" onClick=${remove}>${t("action.delete")}</button>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
  </section>`;
}

export { Badge };
