// Entry point: read /admin/config.json, then render the app.
import { render } from "preact";
import { html } from "./html.js";
import { loadConfig } from "./config.js";
import { lang } from "./i18n.js";
import { App } from "./app.js";

const root = /** @type {HTMLElement} */ (document.getElementById("app"));
document.documentElement.lang = lang.value;
loadConfig()
  .then(() => {
    root.textContent = ""; // the static "loading" line: Preact renders beside what it did not make
    render(html`<${App} />`, root);
  })
  .catch((error) => {
    root.textContent = `設定を読み込めませんでした / Could not load the configuration: ${error.message}`;
  });
