// The first screen: the shell and the list render once, from boot.js's early answers (no loading
// state, no second request), and ask as usual when an early answer is missing, failed or made
// with another token; English is fetched only when chosen, and a failed fetch keeps Japanese;
// the Intl formatters are made on first use; the first page's heading does not take focus.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url); // jsdom is CommonJS
const { JSDOM } = require("jsdom");

const NOW = Date.now();
const TOKEN = "id-first";
const SESSION = JSON.stringify({ idToken: TOKEN, accessToken: "a", refreshToken: "r", expiresAt: NOW + 3_600_000 });
const CAMPAIGNS = [{ id: "c1", state: "published", data: { name: "花 → 旅", source_sites: ["hana-web"], destination_brand: "tabi" } }];
const ME = { user: "u1", email: "a@xsell.example", role: "group-admin", brand: null, can_write: true };

/** Every Intl formatter made for ja-JP, counted from before i18n.js is evaluated. */
const made = { dateTime: 0, number: 0 };
let render, html, act, api, boot, i18n, session, Campaigns, Page, setConfig;
/** @type {{url: string, init: any}[]} */
let calls = [];
/** What the fake network answers, by URL: a value (200 JSON), a Response, or an Error. */
let answers = {};

function fakeFetch(url, init = {}) {
  calls.push({ url: String(url), init });
  if (url === "config.json") return Promise.resolve(Response.json({ apiBase: "/admin/v1" }));
  const answer = answers[url];
  if (answer instanceof Error) return Promise.reject(answer);
  if (answer instanceof Response) return Promise.resolve(answer.clone());
  return Promise.resolve(Response.json(answer ?? []));
}

before(async () => {
  const dom = new JSDOM("<!doctype html><html lang=ja><div id=root></div>", { url: "https://admin.example/admin/#/campaigns" });
  for (const name of ["window", "document", "location", "Node", "Element", "HTMLElement", "Event", "sessionStorage", "localStorage"]) {
    globalThis[name] = dom.window[name];
  }
  sessionStorage.setItem("xsell.session", SESSION); // signed in before auth/session.js restores it
  globalThis.fetch = fakeFetch;
  const RealDateTime = Intl.DateTimeFormat;
  const RealNumber = Intl.NumberFormat;
  Intl.DateTimeFormat = function (locale, options) {
    if (locale === "ja-JP") made.dateTime += 1;
    return new RealDateTime(locale, options);
  };
  Intl.NumberFormat = function (locale, options) {
    if (locale === "ja-JP") made.number += 1;
    return new RealNumber(locale, options);
  };
  ({ render } = await import("preact"));
  ({ act } = await import("preact/test-utils"));
  ({ html } = await import("../src/html.js"));
  api = await import("../src/api.js");
  boot = await import("../src/boot.js");
  i18n = await import("../src/i18n.js");
  session = await import("../src/auth/session.js");
  ({ Campaigns } = await import("../src/screens/campaigns.js"));
  ({ Page } = await import("../src/components.js"));
  ({ setConfig } = await import("../src/config.js"));
  setConfig({ apiBase: "/admin/v1", stage: "test", region: "x", userPoolId: "p", userPoolClientId: "c" });
});

after(() => {
  session.setTokens(null); // its refresh timer would keep the test process alive
});

beforeEach(async () => {
  await act(() => render(null, root())); // a failed test leaves nothing mounted for the next
  calls = [];
  answers = { "/admin/v1/me": ME, "/admin/v1/campaigns": CAMPAIGNS };
});

const root = () => document.getElementById("root");
const state = () => root().querySelector("[data-state]")?.getAttribute("data-state") ?? null;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const listCalls = () => calls.filter((c) => c.url === "/admin/v1/campaigns").length;

/** boot.js started as index.html starts it, on `hash`, with the stored session and language. */
function startBoot(hash = "#/campaigns", stored = SESSION, lang = null) {
  globalThis.xsellBoot = boot.start({ fetch: fakeFetch, hash, stored, now: () => Date.now() });
  globalThis.xsellBoot.lang = lang; // as index.html's boot reads it, once its requests are on their way
  return globalThis.xsellBoot;
}

/** What main.js does: wait for the early answers, render once, forget what was not taken. */
async function firstRender(component) {
  await api.awaitEarly();
  const states = [];
  await act(() => {
    render(html`<${component} />`, root());
    states.push(state());
  });
  api.forgetEarly();
  await act(settle);
  states.push(state());
  return states;
}

test("the Intl formatters are made on first use, once, and still format ja-JP in Tokyo time", () => {
  assert.deepEqual(made, { dateTime: 0, number: 0 }, "none made while the app started");
  assert.equal(i18n.formatDateTime("2026-11-30T15:30:00Z"), "2026/12/01 00:30");
  assert.equal(i18n.formatDateTime(new Date("2026-01-01T00:00:00Z")), "2026/01/01 09:00");
  assert.equal(i18n.formatNumber(1234567), "1,234,567");
  assert.equal(i18n.formatPercent(0.1234), "12.3%");
  assert.equal(i18n.formatPercent(null), "—");
  assert.deepEqual(made, { dateTime: 1, number: 2 });
});

test("the first page's heading leaves focus alone; the next page's takes it", async () => {
  await act(() => render(html`<${Page} title="一">x<//>`, root()));
  await act(settle);
  assert.notEqual(document.activeElement?.tagName, "H1");
  assert.equal(document.title, "一 — xsell");
  await act(() => render(html`<${Page} key="2" title="二">y<//>`, root()));
  await act(settle);
  assert.equal(document.activeElement?.tagName, "H1");
  assert.equal(document.activeElement?.textContent, "二");
  await act(() => render(null, root()));
});

test("the early answers render the list at once: no loading state, no second request", async () => {
  startBoot();
  assert.deepEqual(globalThis.xsellBoot.started, ["/me", "/campaigns"]);
  await settle();
  assert.equal(api.peekEarly("/me"), undefined); // nothing kept before awaitEarly
  await api.awaitEarly();
  assert.deepEqual(api.peekEarly("/me"), ME);
  await act(() => render(html`<${Campaigns} />`, root()));
  assert.equal(state(), "ready");
  api.forgetEarly();
  await act(settle);
  assert.equal(state(), "ready");
  assert.equal(root().querySelectorAll("tr[data-campaign]").length, 1);
  assert.equal(listCalls(), 1, "only boot.js's request");
  assert.equal(api.early("/me"), undefined, "dropped after the first render");
  await act(() => render(null, root()));
});

test("after the first render the list asks again (its data may have changed)", async () => {
  startBoot();
  await firstRender(Campaigns);
  await act(() => render(null, root()));
  calls = [];
  await act(() => render(html`<${Campaigns} />`, root()));
  assert.equal(state(), "loading");
  await act(settle);
  assert.equal(state(), "ready");
  assert.equal(listCalls(), 1);
  await act(() => render(null, root()));
});

test("a failed early read: the loading state, then the screen's own request", async () => {
  answers["/admin/v1/campaigns"] = new Error("offline");
  startBoot();
  await settle();
  answers["/admin/v1/campaigns"] = CAMPAIGNS;
  assert.deepEqual(await firstRender(Campaigns), ["loading", "ready"]);
  assert.equal(listCalls(), 2, "boot.js's, then the screen's");
  await act(() => render(null, root()));
});

test("an early read that answered an error is not used: the screen asks again", async () => {
  answers["/admin/v1/campaigns"] = Response.json({ error: "internal" }, { status: 500 });
  startBoot();
  await settle();
  answers["/admin/v1/campaigns"] = CAMPAIGNS;
  assert.deepEqual(await firstRender(Campaigns), ["loading", "ready"]);
  assert.equal(listCalls(), 2);
  await act(() => render(null, root()));
});

test("no early read (another page), or one made with another token: the screen asks as usual", async () => {
  startBoot("#/campaigns/c1");
  assert.deepEqual(globalThis.xsellBoot.started, ["/me"]);
  assert.deepEqual(await firstRender(Campaigns), ["loading", "ready"]);
  assert.equal(listCalls(), 1);
  await act(() => render(null, root()));

  calls = [];
  const other = JSON.stringify({ idToken: "id-other", expiresAt: NOW + 3_600_000 });
  startBoot("#/campaigns", other);
  assert.deepEqual(await firstRender(Campaigns), ["loading", "ready"]);
  assert.equal(listCalls(), 2, "boot.js's with the other token, then the screen's with the session's");
  assert.equal(calls.at(-1).init.headers.Authorization, `Bearer ${TOKEN}`);
  await act(() => render(null, root()));
});

test("a write drops the early answers not yet taken", async () => {
  startBoot();
  await api.awaitEarly();
  answers["/admin/v1/campaigns/c1/approve"] = {};
  await api.api.post("/campaigns/c1/approve");
  assert.equal(api.early("/campaigns"), undefined);
  api.forgetEarly();
});

test("English is fetched only when chosen; a failed fetch (clicked or restored) keeps Japanese and can be tried again", async () => {
  const realLoad = i18n.LOADERS.en;
  let loads = 0;
  assert.equal(i18n.MESSAGES.en, null, "not part of the app");
  assert.equal(i18n.t("campaign.saved", { rev: 3 }, "en"), "保存しました(rev 3)", "Japanese until English is in");

  i18n.LOADERS.en = () => {
    loads += 1;
    return Promise.reject(new TypeError("Failed to fetch dynamically imported module"));
  };
  await assert.rejects(i18n.setLang("en"), /Failed to fetch/);
  assert.equal(i18n.lang.value, "ja");
  assert.equal(document.documentElement.lang, "ja");
  assert.equal(localStorage.getItem("xsell.lang"), null, "a choice that did not happen is not remembered");
  startBoot("#/campaigns", SESSION, "en"); // chosen on an earlier visit, and English cannot be fetched now
  await i18n.restoreLang(); // does not throw: the first render goes ahead in Japanese
  assert.equal(i18n.lang.value, "ja");
  assert.equal(loads, 2);

  i18n.LOADERS.en = () => {
    loads += 1;
    return realLoad();
  };
  await i18n.setLang("en");
  assert.equal(loads, 3);
  assert.equal(i18n.lang.value, "en");
  assert.equal(document.documentElement.lang, "en");
  assert.equal(i18n.t("campaign.saved", { rev: 3 }), "Saved (rev 3)");
  await i18n.setLang("ja");
  await i18n.setLang("en");
  assert.equal(loads, 3, "fetched once");
  await i18n.setLang("ja");
  i18n.LOADERS.en = realLoad;
});

test("a stored English choice is restored before the first render, as boot.js read it, else from storage", async () => {
  await i18n.setLang("ja");
  startBoot("#/campaigns", SESSION, "en");
  await i18n.restoreLang();
  assert.equal(i18n.lang.value, "en");
  assert.equal(document.documentElement.lang, "en");
  await i18n.setLang("ja");
  startBoot("#/campaigns", SESSION, null); // nothing stored: Japanese
  await i18n.restoreLang();
  assert.equal(i18n.lang.value, "ja");

  delete globalThis.xsellBoot; // boot.js did not run: the app reads the storage itself
  localStorage.setItem("xsell.lang", "en");
  await i18n.restoreLang();
  assert.equal(i18n.lang.value, "en");
  await i18n.setLang("ja");
});
