// The targeting builder's model and its exact round trip with the JSON of docs/targeting.md.
//
//   JSON {"all": [...]} / {"any": [...]}  <->  {type: "all" | "any", children: [...]}
//   JSON {"not": c}                       <->  {type: "not", child}
//   JSON {"field", "op", "value"}         <->  {type: "rule", field, op, value, hasValue}
//
// toJson(fromJson(doc)) deep-equals doc for every document of that shape; the API validates the
// rest (unknown fields, ranks, limits) and its error names the part to fix.

/** @typedef {{type: "rule", field: string, op: string, value?: unknown, hasValue: boolean}} Rule */
/** @typedef {{type: "all" | "any", children: Node[]}} Group */
/** @typedef {{type: "not", child: Node}} Not */
/** @typedef {Rule | Group | Not} Node */

/** @param {unknown} doc @returns {Node | null} */
export function fromJson(doc) {
  if (doc === null || doc === undefined) return null;
  if (typeof doc !== "object" || Array.isArray(doc)) throw new TypeError("a condition is an object");
  const keys = Object.keys(doc);
  if (keys.length === 0) return null;
  const d = /** @type {Record<string, any>} */ (doc);
  if (keys.length === 1 && (keys[0] === "all" || keys[0] === "any")) {
    if (!Array.isArray(d[keys[0]])) throw new TypeError(`${keys[0]} takes a list`);
    return { type: /** @type {"all" | "any"} */ (keys[0]), children: d[keys[0]].map(fromJson) };
  }
  if (keys.length === 1 && keys[0] === "not") return { type: "not", child: fromJson(d.not) };
  if ("field" in d || "op" in d) {
    const extra = keys.filter((k) => !["field", "op", "value"].includes(k));
    if (extra.length) throw new TypeError(`unknown key ${extra[0]}`);
    return { type: "rule", field: d.field, op: d.op, value: d.value, hasValue: "value" in d };
  }
  throw new TypeError(`unknown condition key ${keys[0]}`);
}

/** @param {Node | null} node @returns {any} */
export function toJson(node) {
  if (node === null || node === undefined) return null;
  if (node.type === "all" || node.type === "any") return { [node.type]: node.children.map(toJson) };
  if (node.type === "not") return { not: toJson(node.child) };
  const rule = /** @type {Rule} */ (node);
  const out = { field: rule.field, op: rule.op };
  if (rule.hasValue) out["value"] = rule.value;
  return out;
}

/** The kind of a field (docs/targeting.md "Fields"). @param {string} field */
export function fieldKind(field) {
  const f = field || "";
  if (f === "group_rank" || /^brands\.[^.]+\.rank$/.test(f)) return "rank";
  if (f.startsWith("attributes.")) return "attribute";
  if (/^brands\.[^.]+$/.test(f)) return "used";
  if (
    f === "days_since_member_since" ||
    f === "visit_count" ||
    /^brands\.[^.]+\.(ltv|days_since_first_used|days_since_last_purchase)$/.test(f)
  )
    return "number";
  if (f === "first_visit") return "flag";
  if (f === "recent_categories") return "categories";
  if (f === "page_category") return "text";
  if (f === "page_url" || f === "referrer") return "url";
  if (f === "device") return "device";
  if (f === "source_brand") return "brand";
  return "unknown";
}

const OPS = {
  number: ["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "exists"],
  attribute: ["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "exists"],
  rank: ["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "exists"],
  text: ["eq", "ne", "in", "not_in", "exists"],
  url: ["eq", "ne", "in", "not_in", "matches", "exists"],
  device: ["eq", "ne", "in", "not_in", "exists"],
  brand: ["eq", "ne", "in", "not_in"],
  flag: ["eq", "ne"],
  categories: ["has_any", "exists"],
  used: ["exists"],
  unknown: ["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "exists", "has_any", "matches"],
};

/** The operators a field allows. @param {string} field */
export function opsFor(field) {
  return OPS[fieldKind(field)];
}

/** Suggested field names for the builder's list. @param {string[]} brands */
export function fieldSuggestions(brands) {
  const per = brands.flatMap((b) => [
    `brands.${b}`,
    `brands.${b}.ltv`,
    `brands.${b}.rank`,
    `brands.${b}.days_since_first_used`,
    `brands.${b}.days_since_last_purchase`,
  ]);
  return [
    "group_rank",
    "attributes.gender",
    "attributes.birth_year",
    "attributes.age_band",
    "attributes.prefecture",
    "attributes.member_since",
    "days_since_member_since",
    ...per,
    "visit_count",
    "first_visit",
    "recent_categories",
    "page_category",
    "page_url",
    "referrer",
    "device",
    "source_brand",
  ];
}

const LIST_OPS = new Set(["in", "not_in", "has_any"]);

/** How a rule's value is shown in its text box. @param {Rule} rule */
export function valueText(rule) {
  if (!rule.hasValue) return "";
  const v = rule.value;
  if (Array.isArray(v)) return v.map((x) => String(x)).join(", ");
  return v === null || v === undefined ? "" : String(v);
}

/** @param {string} text @param {string} kind */
function scalar(text, kind) {
  const t = text.trim();
  if (kind === "number") return /^-?\d+$/.test(t) ? Number(t) : t;
  if (kind === "attribute") return /^-?\d+$/.test(t) ? Number(t) : t;
  if (kind === "flag" || kind === "unknown") {
    if (t === "true") return true;
    if (t === "false") return false;
    if (kind === "unknown" && /^-?\d+$/.test(t)) return Number(t);
  }
  return t;
}

/**
 * The rule with its value taken from the text box: lists split on commas, whole numbers for
 * number fields, true/false for flags and `exists` (empty `exists` leaves the value out: true).
 * @param {Rule} rule @param {string} text @returns {Rule}
 */
export function withValueText(rule, text) {
  const kind = fieldKind(rule.field);
  if (rule.op === "exists") {
    const t = text.trim();
    if (t === "") return { ...rule, value: undefined, hasValue: false };
    return { ...rule, value: t === "false" ? false : t === "true" ? true : t, hasValue: true };
  }
  if (LIST_OPS.has(rule.op)) {
    const items = text.split(",").map((s) => s.trim()).filter(Boolean);
    return { ...rule, value: items.map((s) => scalar(s, kind)), hasValue: true };
  }
  return { ...rule, value: scalar(text, kind), hasValue: true };
}

/** @returns {Rule} */
export function newRule() {
  return { type: "rule", field: "device", op: "eq", value: "mobile", hasValue: true };
}

/**
 * Replace the node at `path` (indexes into children, "child" for not) with `fn(node)`; null removes it.
 * @param {Node} root @param {(number | "child")[]} path @param {(n: Node) => Node | null} fn @returns {Node | null}
 */
export function update(root, path, fn) {
  if (path.length === 0) return fn(root);
  const [head, ...rest] = path;
  if (head === "child" && root.type === "not") {
    const child = update(root.child, rest, fn);
    return child === null ? null : { ...root, child };
  }
  if ((root.type === "all" || root.type === "any") && typeof head === "number") {
    const children = root.children.slice();
    const next = update(children[head], rest, fn);
    if (next === null) children.splice(head, 1);
    else children[head] = next;
    return { ...root, children };
  }
  return root;
}
