// boot.js: the early requests that run while app.js loads, and how the app may take them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { API_BASE, EARLY_MS, FRESH_MS, LANG_KEY, LOADING_AFTER_MS, SESSION_KEY, firstLoads, showLoading, start, usableToken } from "../src/boot.js";
import { previewLinks, PREVIEW_PARAM } from "../src/preview_link.js";
import { KEY, EARLY_MS as REFRESH_EARLY_MS } from "../src/auth/session.js";
import { KEY as I18N_KEY } from "../src/i18n.js";

const CONFIG = { apiBase: "/admin/v1/", stage: "local" };
const BASE = CONFIG.apiBase;

function fakeFetch(answers = {}) {
  const calls = [];
  const fetch = (url, init = {}) => {
    calls.push({ url, init });
    if (url === "config.json") return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(CONFIG) });
    const answer = answers[url];
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve({ ok: true, status: 200, url, json: () => Promise.resolve(answer ?? []) });
  };
  return { fetch, calls };
}

const signedIn = (now, left = 3_600_000) => JSON.stringify({ idToken: "id-1", expiresAt: now + left });

test("the keys and the refresh margin are those of auth/session.js and i18n.js", () => {
  assert.equal(SESSION_KEY, KEY);
  assert.equal(LANG_KEY, I18N_KEY);
  assert.equal(EARLY_MS, REFRESH_EARLY_MS);
  assert.ok(FRESH_MS > 0);
});

test("the shell's /me, and the list the address opens on", () => {
  assert.deepEqual(firstLoads("#/campaigns"), ["/me", "/campaigns"]);
  assert.deepEqual(firstLoads("#/creatives?x=1"), ["/me", "/creatives"]);
  assert.deepEqual(firstLoads("#/campaigns/c1"), ["/me"]);
  assert.deepEqual(firstLoads("#/constructor"), ["/me"]); // not a property of Object.prototype either
  assert.deepEqual(firstLoads("#/volume"), ["/me"]);
  const home = ["/me", "/health", "/publish", "/pacing", "/imports?limit=5"];
  assert.deepEqual(firstLoads(""), home); // a tab opens on home by default
  assert.deepEqual(firstLoads("#/"), home);
  assert.deepEqual(firstLoads("#"), home);
});

test("only a stored token good beyond the refresh margin is used", () => {
  const now = 1_000_000;
  assert.equal(usableToken(signedIn(now), now), "id-1");
  assert.equal(usableToken(signedIn(now, EARLY_MS - 1), now), null);
  for (const bad of [null, "", "not json", "{}", '{"idToken": 3, "expiresAt": 5}', "[]"]) assert.equal(usableToken(bad, now), null, bad);
});

test("signed in: config and the first reads start at once, each taken once, by the same token and API, while fresh", async () => {
  let now = 1_000_000;
  const { fetch, calls } = fakeFetch({ "/admin/v1/campaigns": [{ id: "c1" }] });
  const boot = start({ fetch, hash: "#/campaigns", stored: signedIn(now), now: () => now });
  assert.deepEqual(await boot.config, CONFIG);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls.map((c) => c.url).sort(), ["/admin/v1/campaigns", "/admin/v1/me", "config.json"]);
  assert.equal(calls[1].init.headers.Authorization, "Bearer id-1");
  assert.equal(API_BASE + "/", BASE);
  assert.equal(boot.take("/campaigns", "another-token", BASE), null);
  assert.equal(boot.take("/campaigns", "id-1", "https://elsewhere.example/admin/v1"), null); // another API
  const answer = await boot.take("/campaigns", "id-1", BASE);
  assert.deepEqual(await answer.json(), [{ id: "c1" }]);
  assert.equal(boot.take("/campaigns", "id-1", BASE), null); // once
  now += FRESH_MS + 1;
  assert.equal(boot.take("/me", "id-1", BASE), null); // too old now
});

test("signed out, or cleared by a write: nothing early; a failed early read is null (the app asks again)", async () => {
  const out = fakeFetch();
  const signedOut = start({ fetch: out.fetch, hash: "#/campaigns", stored: null, now: () => 0 });
  await signedOut.config;
  assert.deepEqual(out.calls.map((c) => c.url), ["config.json"]);
  assert.equal(signedOut.take("/me", null, BASE), null);

  const failing = fakeFetch({ "/admin/v1/me": new Error("offline") });
  const boot = start({ fetch: failing.fetch, hash: "#/campaigns", stored: signedIn(0), now: () => 0 });
  assert.equal(await boot.take("/me", "id-1", BASE), null);
  boot.clear();
  assert.equal(boot.take("/campaigns", "id-1", BASE), null);
});

test("a config.json that fails rejects as loadConfig would", async () => {
  const fetch = () => Promise.resolve({ ok: false, status: 503, json: () => Promise.resolve({}) });
  const boot = start({ fetch, hash: "", stored: null, now: () => 0 });
  await assert.rejects(boot.config, /config.json: HTTP 503/);
});

test("the preview link: each site's page, or a page of one of them with the token; other addresses refused", () => {
  const urls = { "hana-web": `https://hana.example/?${PREVIEW_PARAM}=tok`, "tabi-web": `https://tabi.example/?${PREVIEW_PARAM}=tok` };
  assert.deepEqual(previewLinks("", urls).links, [
    { site: "hana-web", href: urls["hana-web"] },
    { site: "tabi-web", href: urls["tabi-web"] },
  ]);
  assert.deepEqual(previewLinks(" https://tabi.example/item?customer=C1 ", urls), {
    links: [{ site: "tabi-web", href: `https://tabi.example/item?customer=C1&${PREVIEW_PARAM}=tok` }],
  });
  assert.deepEqual(previewLinks("not a url", urls), { links: [], error: "invalid" });
  assert.deepEqual(previewLinks("https://evil.example/", urls), { links: [], error: "origin" });
  assert.deepEqual(previewLinks("javascript:alert(1)", urls), { links: [], error: "origin" });
  assert.deepEqual(previewLinks("", {}), { links: [] });
});

test("boot asks early for exactly what home reads", async () => {
  const { FIRST_LOADS } = await import("../src/boot.js");
  const { READS } = await import("../src/screens/home.js");
  assert.deepEqual(FIRST_LOADS[""], READS); // a path missing here is read late; an extra one twice
});


test("index.html's loading line is hidden (not laid out) until boot shows it, unless the app replaced it", () => {
  const { JSDOM } = createRequire(import.meta.url)("jsdom");
  const page = readFileSync(new URL("../src/index.html", import.meta.url), "utf8");
  const { document } = new JSDOM(page).window;
  const line = document.querySelector("#app > .boot");
  assert.ok(line && line.hidden, "hidden in the page as served");
  assert.ok(LOADING_AFTER_MS >= 300 && LOADING_AFTER_MS <= 1000);
  showLoading(document);
  assert.equal(line.hidden, false);
  assert.match(line.textContent, /読み込み中/);

  const rendered = new JSDOM(page).window.document;
  rendered.getElementById("app").innerHTML = '<main><p class="boot" hidden>a screen of the app</p></main>';
  showLoading(rendered); // the app's own elements are not touched
  assert.equal(rendered.querySelector("main .boot").hidden, true);
});
