// The group settings document (docs/campaigns.md "Group settings") as form state and back.
// Objects keyed by brand become lists of rows so that the form can add, remove and rename them;
// anything the form does not know (other top-level keys, a guard's ltv_at_least, reciprocity's
// timezone) rides along untouched so that a save never drops it.

export const PERIODS = ["day", "week", "month", "total"];
export const METRICS = ["served", "clicks"];

const KNOWN = ["two_person_approval", "domains", "destination_caps", "reciprocity", "rank_scales", "guards"];

/** @param {any} v */
const isObject = (v) => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * @typedef {{ from: string, to: string, value: any }} PairRow  value null: unrestricted
 * @typedef {{ period?: string, rest: Record<string, any>, hasDefault: boolean, default: any, pairs: PairRow[] }} Reciprocity
 * @typedef {{
 *   rest: Record<string, any>,
 *   approval: boolean | undefined,
 *   domains: string[],
 *   caps: { brand: string, caps: any[] }[],
 *   reciprocity: Reciprocity,
 *   scales: { key: string, text: string }[],
 *   guards: { brand: string, guard: Record<string, any> }[],
 * }} SettingsForm
 */

/** Form state for a settings document. @param {any} doc @returns {SettingsForm} */
export function toForm(doc) {
  const d = isObject(doc) ? doc : {};
  /** @type {Record<string, any>} */
  const rest = {};
  for (const [k, v] of Object.entries(d)) if (!KNOWN.includes(k)) rest[k] = v;
  const r = isObject(d.reciprocity) ? d.reciprocity : {};
  /** @type {Record<string, any>} */
  const recipRest = {};
  for (const [k, v] of Object.entries(r)) if (!["period", "default", "pairs"].includes(k)) recipRest[k] = v;
  return {
    rest,
    approval: typeof d.two_person_approval === "boolean" ? d.two_person_approval : undefined,
    domains: Array.isArray(d.domains) ? d.domains.map(String) : [],
    caps: Object.entries(isObject(d.destination_caps) ? d.destination_caps : {}).map(([brand, caps]) => ({
      brand,
      caps: Array.isArray(caps) ? caps.map((c) => (isObject(c) ? { ...c } : c)) : [],
    })),
    reciprocity: {
      period: typeof r.period === "string" ? r.period : undefined,
      rest: recipRest,
      hasDefault: isObject(r.default),
      default: isObject(r.default) ? { ...r.default } : { ratio: 1, allowance: 0 },
      pairs: Object.entries(isObject(r.pairs) ? r.pairs : {}).map(([key, value]) => {
        const at = key.indexOf(">");
        return {
          from: at < 0 ? key : key.slice(0, at),
          to: at < 0 ? "" : key.slice(at + 1),
          value: isObject(value) ? { ...value } : null,
        };
      }),
    },
    scales: Object.entries(isObject(d.rank_scales) ? d.rank_scales : {}).map(([key, ranks]) => ({
      key,
      text: Array.isArray(ranks) ? ranks.join(", ") : String(ranks ?? ""),
    })),
    guards: Object.entries(isObject(d.guards) ? d.guards : {}).map(([brand, guard]) => ({
      brand,
      guard: isObject(guard) ? { ...guard } : {},
    })),
  };
}

/** "gold, platinum" -> ["gold", "platinum"] (blanks dropped). @param {string} text */
export function ranksOf(text) {
  return text.split(/[,、,]/).map((s) => s.trim()).filter(Boolean);
}

/** The pair's key in the document. @param {PairRow} pair */
export const pairKey = (pair) => `${pair.from}>${pair.to}`;

/**
 * The document to save. Empty sections are left out (the API reads a missing section as empty);
 * values are passed on as typed so that the API, not the form, says what is wrong with them.
 * @param {SettingsForm} form
 */
export function fromForm(form) {
  /** @type {Record<string, any>} */
  const doc = { ...form.rest };
  if (form.approval !== undefined) doc.two_person_approval = form.approval;
  if (form.domains.length) doc.domains = [...form.domains];
  if (form.caps.length) {
    /** @type {Record<string, any[]>} */
    const caps = {};
    for (const row of form.caps) caps[row.brand] = [...(caps[row.brand] || []), ...row.caps];
    doc.destination_caps = caps;
  }
  const r = form.reciprocity;
  /** @type {Record<string, any>} */
  const recip = { ...r.rest };
  if (r.period !== undefined) recip.period = r.period;
  if (r.hasDefault) recip.default = r.default;
  if (r.pairs.length) recip.pairs = Object.fromEntries(r.pairs.map((p) => [pairKey(p), p.value]));
  if (Object.keys(recip).length) doc.reciprocity = recip;
  if (form.scales.length) doc.rank_scales = Object.fromEntries(form.scales.map((s) => [s.key, ranksOf(s.text)]));
  if (form.guards.length) doc.guards = Object.fromEntries(form.guards.map((g) => [g.brand, g.guard]));
  return doc;
}

/** The rank names a guard for `brand` can name: its own scale, else the brand scale, else the group's. @param {SettingsForm} form @param {string} brand */
export function ranksFor(form, brand) {
  const find = (key) => form.scales.find((s) => s.key === key);
  const scale = find(brand) || find("brand") || find("group");
  return scale ? ranksOf(scale.text) : [];
}

/**
 * Rows that name the same pair, rank scale or guard brand as another row: the document keeps one
 * value per name, so saving would drop all but the last. By the error key their row shows
 * (`reciprocity.pairs.a>b`, `rank_scales.brand`, `guards.hana`).
 * @param {SettingsForm} form
 * @returns {string[]}
 */
export function duplicateRows(form) {
  /** @param {string[]} keys */
  const repeated = (keys) => keys.filter((k, i) => keys.indexOf(k) !== i);
  return [
    ...repeated(form.reciprocity.pairs.map((p) => `reciprocity.pairs.${pairKey(p)}`)),
    ...repeated(form.scales.map((x) => `rank_scales.${x.key}`)),
    ...repeated(form.guards.map((g) => `guards.${g.brand}`)),
  ].filter((k, i, all) => all.indexOf(k) === i);
}

