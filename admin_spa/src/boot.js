// Loaded by index.html first, ahead of the stylesheet, as a classic script (build.mjs makes it
// an IIFE: a module script would wait for the stylesheet, and could even run after app.js). It
// is small: it asks for /admin/config.json and, in a tab that is already signed in, for the data
// the first screen will show (who is signed in, and the list the address opens on), so that
// those answers travel while app.js is still downloading and evaluating instead of after it. It
// imports nothing (app.js does not import it either: its last lines start the requests) and runs
// from a file, not inline (the CSP forbids inline script).
//
// The reads go to API_BASE at once, without waiting for config.json: that is where infra and the
// local CDN put the admin API. The app takes what was started here through `globalThis.xsellBoot`
// (config.js, api.js); each answer is taken at most once, within FRESH_MS, only by a request with
// the same token, and only if config.json does name API_BASE.

/** The localStorage key of the language choice (i18n.js). */
export const LANG_KEY = "xsell.lang";
/** The sessionStorage key of auth/session.js. */
export const SESSION_KEY = "xsell.session";
/** auth/session.js refreshes a token this close to expiry first: such a token is not used here. */
export const EARLY_MS = 5 * 60 * 1000;
/** The admin API's path on this origin, as config.json's `apiBase` has it (infra/stacks/delivery.py). */
export const API_BASE = "/admin/v1";
/** An early answer older than this is not handed out (the data may have changed since). */
export const FRESH_MS = 10_000;
/**
 * The admin API GETs a screen starts with, by its address (#/campaigns; "" is home, where a tab
 * opens by default). Each screen asks for exactly these paths (screens/home.js, campaigns.js,
 * creatives.js): an early answer is taken by the request for the same path.
 */
export const FIRST_LOADS = /** @type {Record<string, string[]>} */ ({
  "": ["/health", "/publish", "/pacing", "/imports?limit=5"],
  campaigns: ["/campaigns"],
  creatives: ["/creatives"],
});

/**
 * The API paths worth asking for before the app runs: "/me" (the shell's) and what the screen
 * the address opens on reads first, if it is home or a list.
 * @param {string} hash e.g. "#/campaigns"
 */
export function firstLoads(hash) {
  const parts = hash.replace(/^#\/?/, "").split("?")[0].split("/").filter(Boolean);
  const screen = parts.length <= 1 ? parts[0] || "" : null;
  const reads = screen !== null && Object.hasOwn(FIRST_LOADS, screen) ? FIRST_LOADS[screen] : [];
  return ["/me", ...reads];
}

/**
 * The stored ID token if it is good for longer than EARLY_MS, else null (auth/session.js
 * would refresh it first, and the app's request would carry another token).
 * @param {string | null} stored sessionStorage's value @param {number} now ms
 */
export function usableToken(stored, now) {
  try {
    const value = JSON.parse(stored || "null");
    if (!value || typeof value.idToken !== "string" || typeof value.expiresAt !== "number") return null;
    return value.expiresAt - now > EARLY_MS ? value.idToken : null;
  } catch {
    return null;
  }
}

/**
 * @typedef {object} Boot
 * @property {Promise<any>} config  the parsed /admin/config.json (rejects as loadConfig would)
 * @property {(path: string, token: string | null, apiBase: string) => Promise<Response | null> | null} take
 *   the early answer to `GET apiBase + path` made with `token`, once; null when there is none
 * @property {() => void} clear  forget every early answer (the app changed something)
 * @property {string[]} started  the paths asked for early (main.js waits for them, briefly)
 * @property {string | null} lang  the stored language choice (read here: a page's first
 *   localStorage access is slow, and here it is done while app.js is still on its way)
 */

/**
 * Start the early requests.
 * @param {{fetch: typeof fetch, hash: string, stored: string | null, now: () => number}} env
 * @returns {Boot}
 */
export function start(env) {
  const startedAt = env.now();
  const config = env.fetch("config.json", { cache: "no-store" }).then(async (answer) => {
    if (!answer.ok) throw new Error(`config.json: HTTP ${answer.status}`);
    return answer.json();
  });
  config.catch(() => {}); // the app reports it when it asks
  const token = usableToken(env.stored, startedAt);
  /** @type {Map<string, Promise<Response | null>>} */
  const early = new Map();
  if (token) {
    for (const path of firstLoads(env.hash)) {
      const answer = env.fetch(API_BASE + path, { headers: { Authorization: `Bearer ${token}` } });
      early.set(path, answer.catch(() => null)); // a failed early request: the app asks again
    }
  }
  return {
    config,
    started: [...early.keys()],
    lang: null, // read after the requests start (below)
    take(path, withToken, apiBase) {
      const answer = early.get(path);
      if (!answer || withToken !== token || env.now() - startedAt > FRESH_MS) return null;
      if (String(apiBase).replace(/\/$/, "") !== API_BASE) return null;
      early.delete(path);
      return answer;
    },
    clear() {
      early.clear();
    },
  };
}

/** How long the page may take before its static "loading" line shows (on a fast load it would only flash). */
export const LOADING_AFTER_MS = 500;

/**
 * Show index.html's "loading" line, if the app has not replaced it yet. It starts `hidden`, not
 * merely invisible: hidden, it is not laid out, and a fresh page's first text layout is slow
 * (tens of milliseconds to set up the fonts) — spent on a line nobody sees, it held up the
 * first screen's rows.
 * @param {{querySelector: (selector: string) => Element | null}} doc
 */
export function showLoading(doc) {
  doc.querySelector("#app > .boot")?.removeAttribute("hidden");
}

if (globalThis.document && globalThis.location) {
  let stored = null;
  try {
    stored = sessionStorage.getItem(SESSION_KEY);
  } catch {
    /* storage blocked: signed out */
  }
  const boot = start({
    fetch: globalThis.fetch.bind(globalThis),
    hash: location.hash,
    stored,
    now: () => Date.now(),
  });
  // Read once the requests are on their way: a page's first localStorage access can take
  // milliseconds, and the language is needed only when the app renders.
  try {
    boot.lang = localStorage.getItem(LANG_KEY);
  } catch {
    /* storage blocked: Japanese */
  }
  /** @type {any} */ (globalThis).xsellBoot = boot;
  setTimeout(() => showLoading(document), LOADING_AFTER_MS);
}
