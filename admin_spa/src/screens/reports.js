// Reports arrive with the reports feature; the slot is kept in the navigation.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { Page } from "../components.js";

export function Reports() {
  return html`<${Page} title=${t("nav.reports")}><p class="notice info" data-state="empty">${t("reports.placeholder")}</p><//>`;
}
