// Entry point: read /admin/config.json (and a stored language choice), wait briefly for the
// first screen's data that boot.js asked for early, then render once. With those answers in
// hand, the shell and the list the address opens on render with their data: no loading state
// and no second request. An answer that is late (FIRST_SCREEN_WAIT_MS), failed, or made with
// another token is left out, and its screen asks for it as usual.
import { render } from "preact";
import { html } from "./html.js";
import { loadConfig } from "./config.js";
import { restoreLang } from "./i18n.js";
import { awaitEarly, forgetEarly, peekEarly } from "./api.js";
import { me, signedIn } from "./auth/session.js";
import { App } from "./app.js";

/** The longest the first render waits for the early answers (then it shows the loading state). */
export const FIRST_SCREEN_WAIT_MS = 1000;

const root = /** @type {HTMLElement} */ (document.getElementById("app"));

/** Resolves after `ms`, whatever else is still on its way. @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function start() {
  const waited = delay(FIRST_SCREEN_WAIT_MS);
  const language = restoreLang();
  try {
    await loadConfig();
  } catch (error) {
    root.textContent = `設定を読み込めませんでした / Could not load the configuration: ${error instanceof Error ? error.message : error}`;
    return;
  }
  await Promise.race([Promise.all([language, signedIn.value ? awaitEarly() : null]), waited]);
  const who = peekEarly("/me");
  if (who) me.value = who; // the shell's header and the list's actions show with the first render
  root.textContent = ""; // the static "loading" line: Preact renders beside what it did not make
  render(html`<${App} />`, root);
  forgetEarly();
}

void start();
