// Group settings: the JSON document (docs/campaigns.md "Group settings"), edited as text and
// saved with its rev; the API's errors name the field.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { api, fieldErrors, ApiError } from "../api.js";
import { me } from "../auth/session.js";
import { ErrorBox, Loadable, Page, useLoad } from "../components.js";
import { stateBadge } from "./campaigns.js";

function Editor({ current, onSaved }) {
  const [text, setText] = useState(JSON.stringify(current.data || {}, null, 2));
  const [errors, setErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [saved, setSaved] = useState("");
  const admin = me.value?.role === "group-admin";
  const save = async (e) => {
    e.preventDefault();
    setErrors({});
    setSaved("");
    let data;
    try {
      data = JSON.parse(text);
    } catch (err) {
      return setErrors({ "": t("settings.not_json", { detail: err instanceof Error ? err.message : String(err) }) });
    }
    try {
      const answer = await api.put("/settings", { data, rev: current.rev });
      setSaved(t("campaign.saved", { rev: answer.rev }));
      onSaved(answer);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.current) setText(JSON.stringify(err.current.data, null, 2));
      setErrors(fieldErrors(err));
    }
  };
  const entries = Object.entries(errors);
  return html`<form onSubmit=${save}>
    <p class="meta">${stateBadge(current.state)} ${t("campaign.rev", { rev: current.rev })}</p>
    <label for="settings-json">${t("settings.json")}</label>
    <textarea id="settings-json" rows="24" spellcheck="false" readOnly=${!admin} value=${text} onInput=${(e) => setText(e.currentTarget.value)}
      aria-invalid=${entries.length ? "true" : undefined} aria-describedby=${entries.length ? "settings-err" : "settings-hint"}></textarea>
    <p class="hint" id="settings-hint">${admin ? t("settings.hint") : t("settings.read_only")}</p>
    ${entries.length ? html`<div class="notice error" id="settings-err" role="alert">${entries.map(([k, v]) => html`<p>${k ? html`<code>${k}</code>: ` : null}${v}</p>`)}</div>` : null}
    ${saved ? html`<p role="status" class="ok-text">✓ ${saved} ${t("settings.publish_hint")}</p>` : null}
    ${admin ? html`<button type="submit" class="primary">${t("action.save")}</button>` : null}
  </form>`;
}

export function Settings() {
  const [load, retry, setLoaded] = useLoad(() => api.get("/settings"), []);
  return html`<${Page} title=${t("nav.settings")}>
    <${Loadable} load=${load} retry=${retry} empty=${() => false}>${(d) => html`<${Editor} current=${d} onSaved=${setLoaded} />`}<//>
  <//>`;
}
export { ErrorBox };
