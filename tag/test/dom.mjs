// A page for the tag's DOM tests: jsdom with the browser pieces it lacks faked
// (fetch, sendBeacon, IntersectionObserver) and a clock the test moves by hand.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url); // jsdom is CommonJS
const { JSDOM, VirtualConsole } = require("jsdom");

export const TAG_URL = "https://cdn.example/tag/tag.js";
export const API = "https://api.example";
let built = null;

/** The snippet and tag exactly as `npm run build:tag` writes them (built once per run). */
export async function dist() {
  if (!built) {
    await import("../build.mjs");
    const read = (name) => readFileSync(new URL(`../dist/${name}`, import.meta.url), "utf8");
    built = { snippet: read("snippet.min.js").replace("__XSELL_TAG_URL__", TAG_URL), tag: read("tag.js") };
  }
  return built;
}

class Clock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.next = 1;
  }
  setTimeout(fn, ms = 0) {
    const id = this.next++;
    this.timers.set(id, { at: this.now + Number(ms || 0), fn });
    return id;
  }
  clearTimeout(id) {
    this.timers.delete(id);
  }
  /** Run every timer due within `ms`, in time order. */
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

/**
 * A brand page with one reserved slot. `decide` answers POST /v1/decide: a decision
 * object, null (HTTP 500), or "hang" (never answers; honours the abort signal).
 */
export function page({ url = "https://shop.example/", body, decide = null, storage = {}, beacon = true } = {}) {
  const html = body ?? '<h1>Shop</h1><div data-xsell-slot="top-banner" style="height:120px"></div>';
  // Everything the page would print, uncaught errors included (jsdom reports them as "jsdomError").
  const consoleCalls = [];
  const virtualConsole = new VirtualConsole();
  for (const level of ["log", "info", "warn", "error", "debug", "jsdomError"]) {
    virtualConsole.on(level, (...args) => consoleCalls.push([level, ...args.map(String)]));
  }
  const dom = new JSDOM(`<!doctype html><html><head></head><body>${html}</body></html>`, {
    url,
    runScripts: "outside-only",
    pretendToBeVisual: true,
    virtualConsole,
  });
  const win = dom.window;
  const clock = new Clock();
  win.setTimeout = (fn, ms) => clock.setTimeout(fn, ms);
  win.clearTimeout = (id) => clock.clearTimeout(id);
  for (const [k, v] of Object.entries(storage)) win.localStorage.setItem(k, v);

  const decides = [];
  const posts = []; // event batches, however they were sent: { via, body, init }
  win.fetch = (target, init = {}) => {
    if (String(target).endsWith("/v1/events")) {
      posts.push({ via: "fetch", body: JSON.parse(init.body), init });
      return Promise.resolve({ ok: true, json: () => Promise.resolve({}) });
    }
    decides.push({ url: String(target), body: JSON.parse(init.body), init });
    const answer = typeof decide === "function" ? decide(decides.length) : decide;
    if (answer === "hang") {
      return new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new Error("aborted"))));
    }
    return Promise.resolve({ ok: answer !== null, json: () => Promise.resolve(answer) });
  };
  Object.defineProperty(win.navigator, "sendBeacon", {
    configurable: true,
    value: (target, data) => {
      if (!beacon) return false;
      posts.push({ via: "beacon", url: String(target), body: JSON.parse(data), type: typeof data });
      return true;
    },
  });

  const observers = [];
  win.IntersectionObserver = class {
    constructor(callback, options) {
      this.callback = callback;
      this.options = options;
      this.targets = new Set();
      observers.push(this);
    }
    observe(target) {
      this.targets.add(target);
    }
    unobserve(target) {
      this.targets.delete(target);
    }
    disconnect() {
      this.targets.clear();
    }
  };
  /** Tell the tag's observer that `target` is now `ratio` visible. */
  const show = (target, ratio) => {
    for (const io of observers) {
      if (io.targets.has(target)) io.callback([{ target, isIntersecting: ratio > 0, intersectionRatio: ratio }], io);
    }
  };

  const events = () => posts.flatMap((p) => p.body.events);
  const slot = (name = "top-banner") => win.document.querySelector(`[data-xsell-slot="${name}"]`);
  return { dom, win, clock, decides, posts, events, show, slot, consoleCalls, run: (code) => win.eval(code) };
}

/** Let pending promise callbacks (the faked fetch answers) run. */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Snippet, the usual calls, then the tag: what a brand page does. */
export async function withTag(options = {}, calls = `xsell("init", {site: "hana-web", api: "${API}"}); xsell("identify", {customer_id: "C1"}); xsell("page");`) {
  const { snippet, tag } = await dist();
  const p = page(options);
  p.run(snippet);
  p.run(calls);
  p.run(tag);
  await settle();
  await settle();
  return p;
}

/** A base64url token whose payload carries `exp` (seconds), as xsell.signing makes them. */
export function token(payload) {
  return Buffer.from(JSON.stringify(payload)).toString("base64url") + ".sig";
}

export function decision(overrides = {}) {
  return {
    decision_id: "d".repeat(32),
    slots: {
      "top-banner": {
        campaign_id: "hana-to-tabi",
        creative_id: "hana-to-tabi-a",
        destination_brand: "tabi",
        template: "image_text",
        fields: {
          title: "温泉宿10%オフ",
          body: "癒やしの週末を。",
          cta: "宿を探す",
          image_url: "https://cdn.example/assets/tabi.svg",
          alt: "Tabi Travel",
          link_url: "https://tabi.example/?from=hana",
        },
        token: "slot-token",
        ref: token({ d: "d".repeat(32), exp: 2_000_000_000 }),
      },
    },
    holdouts: [],
    ...overrides,
  };
}
