// The visual builder for targeting conditions (docs/targeting.md), with the JSON beside it for
// power users: edit either; the other follows. API errors ("targeting.all[2].value") show at the
// rule they name.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { t } from "./i18n.js";
import { fieldSuggestions, fromJson, newRule, opsFor, toJson, update, valueText, withValueText } from "./targeting.js";

/** JSON path of a node below the top ("" is the top): used to match API error fields. */
function jsonPath(parentPath, parent, index) {
  if (parent.type === "not") return `${parentPath}.not`;
  return `${parentPath}.${parent.type}[${index}]`;
}

/**
 * @param {{node: import("./targeting.js").Node, path: (number | "child")[], jpath: string,
 *   onChange: (path: (number | "child")[], fn: (n: any) => any) => void, errors: Record<string, string>, depth: number}} props
 */
function NodeView({ node, path, jpath, onChange, errors, depth }) {
  const id = "tg-" + (path.join("-") || "root");
  const ownError = Object.entries(errors).find(([k]) => k === jpath || (node.type === "rule" && k.startsWith(jpath + ".")));
  const remove = path.length
    ? html`<button type="button" class="small" onClick=${() => onChange(path, () => null)} aria-label=${t("targeting.remove_named", { name: id })}>${t("targeting.remove")}</button>`
    : null;
  if (node.type === "rule") {
    const ops = opsFor(node.field);
    return html`<div class="rule" role="group" aria-label=${t("targeting.rule")}>
      <label class="inline"><span>${t("targeting.field")}</span>
        <input list="tg-fields" value=${node.field} id=${id + "-field"} onInput=${(e) => onChange(path, (n) => ({ ...n, field: e.currentTarget.value }))} />
      </label>
      <label class="inline"><span>${t("targeting.op")}</span>
        <select id=${id + "-op"} value=${node.op} onChange=${(e) => onChange(path, (n) => ({ ...n, op: e.currentTarget.value }))}>
          ${[...new Set([...ops, node.op])].map((op) => html`<option value=${op}>${t("op." + op)} (${op})</option>`)}
        </select>
      </label>
      <label class="inline"><span>${t("targeting.value")}</span>
        <input id=${id + "-value"} value=${valueText(node)} placeholder=${["in", "not_in", "has_any"].includes(node.op) ? t("targeting.list_hint") : ""}
          onChange=${(e) => onChange(path, (n) => withValueText(n, e.currentTarget.value))} />
      </label>
      ${remove}
      ${ownError ? html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${ownError[1]}</p>` : null}
    </div>`;
  }
  if (node.type === "not") {
    return html`<fieldset class="group not">
      <legend>${t("targeting.not")}</legend>
      <${NodeView} node=${node.child} path=${[...path, "child"]} jpath=${jpath + ".not"} onChange=${onChange} errors=${errors} depth=${depth + 1} />
      ${remove}
    </fieldset>`;
  }
  return html`<fieldset class="group">
    <legend>
      <label class="inline"><span class="sr-only">${t("targeting.combine")}</span>
        <select id=${id + "-type"} value=${node.type} onChange=${(e) => onChange(path, (n) => ({ ...n, type: e.currentTarget.value }))}>
          <option value="all">${t("targeting.all")}</option>
          <option value="any">${t("targeting.any")}</option>
        </select>
      </label>
    </legend>
    ${ownError ? html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${ownError[1]}</p>` : null}
    ${node.children.map(
      (child, i) => html`<${NodeView} node=${child} path=${[...path, i]} jpath=${jsonPath(jpath, node, i)} onChange=${onChange} errors=${errors} depth=${depth + 1} />`,
    )}
    <div class="row">
      <button type="button" class="small" onClick=${() => onChange(path, (n) => ({ ...n, children: [...n.children, newRule()] }))}>${t("targeting.add_rule")}</button>
      ${depth < 6
        ? html`<button type="button" class="small" onClick=${() => onChange(path, (n) => ({ ...n, children: [...n.children, { type: "all", children: [newRule()] }] }))}>${t("targeting.add_group")}</button>
          <button type="button" class="small" onClick=${() => onChange(path, (n) => ({ ...n, children: [...n.children, { type: "not", child: newRule() }] }))}>${t("targeting.add_not")}</button>`
        : null}
      ${remove}
    </div>
  </fieldset>`;
}

/**
 * @param {{value: any, onChange: (json: any) => void, brands: string[], errors: Record<string, string>}} props
 *   value: the campaign's targeting JSON (null: everyone); errors keyed by form path ("targeting.all[0].value").
 */
export function TargetingBuilder({ value, onChange, brands, errors }) {
  let model = null;
  let invalid = "";
  try {
    model = fromJson(value);
  } catch (e) {
    invalid = e instanceof Error ? e.message : String(e);
  }
  const [text, setText] = useState(JSON.stringify(value ?? null, null, 2));
  const [textError, setTextError] = useState("");
  useEffect(() => {
    setText(JSON.stringify(value ?? null, null, 2));
  }, [JSON.stringify(value ?? null)]);

  const change = (path, fn) => {
    const next = update(/** @type {any} */ (model), path, fn);
    onChange(toJson(next));
  };
  const onText = (e) => {
    const raw = e.currentTarget.value;
    setText(raw);
    try {
      const parsed = raw.trim() ? JSON.parse(raw) : null;
      fromJson(parsed);
      setTextError("");
      onChange(parsed);
    } catch (err) {
      setTextError(err instanceof Error ? err.message : String(err));
    }
  };
  const topError = errors["targeting"];
  return html`<div class="targeting">
    <datalist id="tg-fields">${fieldSuggestions(brands).map((f) => html`<option value=${f}></option>`)}</datalist>
    ${topError ? html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${topError}</p>` : null}
    ${invalid
      ? html`<p class="field-error" role="alert">${t("targeting.invalid", { detail: invalid })}</p>`
      : model
        ? html`<${NodeView} node=${model} path=${[]} jpath="targeting" onChange=${change} errors=${errors} depth=${1} />`
        : html`<p>${t("targeting.everyone")}</p>`}
    <div class="row">
      ${!model && !invalid
        ? html`<button type="button" onClick=${() => onChange({ all: [toJson(newRule())] })}>${t("targeting.start")}</button>`
        : html`<button type="button" onClick=${() => onChange(null)}>${t("targeting.clear")}</button>`}
    </div>
    <details>
      <summary>${t("targeting.json")}</summary>
      <label for="targeting-json">${t("targeting.json_label")}</label>
      <textarea id="targeting-json" rows="8" spellcheck="false" value=${text} onInput=${onText}
        aria-invalid=${textError ? "true" : undefined} aria-describedby=${textError ? "targeting-json-err" : undefined}></textarea>
      ${textError ? html`<p class="field-error" id="targeting-json-err" role="alert">${t("targeting.json_error", { detail: textError })}</p>` : null}
    </details>
  </div>`;
}
