// The xsell site tag: replays the snippet's queue once, asks /v1/decide once per page
// view for the slots on the page, renders creatives with DOM APIs only, reports viewable
// impressions, clicks, holdout exposures and conversions to /v1/events, and carries the
// referral token to the destination site. It never throws into the host page and
// writes nothing to the console. A page opened with ?xsell_preview=<token> (a preview token
// minted on the admin page) shows that campaign: decide counts nothing for it.

import { type Creative, REF_PARAM, creativeNode, fillSlot } from "./render";

type Args = ArrayLike<unknown>;
type Props = Record<string, unknown>;
interface Config {
  site?: string;
  api?: string;
  timeoutMs: number;
}
interface Holdout {
  slot: string;
  token: string;
}
interface Decision {
  decision_id: string;
  slots: Record<string, Creative>;
  holdouts?: Holdout[];
}
interface XsellFn {
  (...args: unknown[]): void;
  q?: { push(args: Args): unknown };
  v?: unknown;
  loaded?: boolean;
}
interface Watch {
  type: string;
  token: string;
  visible?: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

const OPTOUT_KEY = "xsell_optout";
const PREVIEW_PARAM = "xsell_preview";
const PREVIEW_MAX = 4096; // decide's limit for a preview token
const VIEWABLE_RATIO = 0.5; // at least half of the slot on screen ...
const VIEWABLE_MS = 1000; // ... for one second (IAB/MRC display viewability)
const BATCH_MS = 500; // events wait this long for company before they are sent
const BATCH_MAX = 20; // events per request; collect accepts up to 50
const ROUTE_SETTLE_MS = 100; // let a single-page app render the new route before deciding
const REF_FALLBACK_MS = 7 * 864e5; // when a referral token's expiry cannot be read

const w = window as unknown as { xsell?: XsellFn };
const config: Config = { timeoutMs: 1500 };
let identity: Props | null = null;
let pageProps: Props | null = null; // set by the first "page": the site wants decisions
let decidedUrl: string | null = null;
let view = 0; // page-view counter: answers for an older view are dropped
let optedOut = load(OPTOUT_KEY) === "1";
let preview: string | null = null; // from the page URL; kept for the page's life (route changes too)
let outbox: Props[] = [];
let batchTimer: ReturnType<typeof setTimeout> | undefined;
let routeTimer: ReturnType<typeof setTimeout> | undefined;
let observer: IntersectionObserver | null = null;
const watches = new Map<Element, Watch>();

function noop(): void {
  /* failures stay silent: the host page must never notice us */
}

function load(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled or blocked
  }
}

function save(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    noop();
  }
}

function endpoint(path: string): string {
  return (config.api || "").replace(/\/$/, "") + path;
}

// ---- rendering (tag/src/render.ts, shared with the admin page's preview) --------

function build(c: Creative): HTMLAnchorElement | null {
  const link = creativeNode(c);
  const token = c.token;
  if (link && typeof token === "string") {
    let sent = false;
    const clicked = (e: MouseEvent): void => {
      if (sent || (e.type === "auxclick" && e.button !== 1)) return;
      sent = true;
      send({ type: "click", token }, true); // before the browser leaves the page
    };
    link.addEventListener("click", clicked);
    link.addEventListener("auxclick", clicked);
  }
  return link;
}

function clear(slot: Element): void {
  slot.replaceChildren();
  slot.removeAttribute("data-xsell-filled");
  if (slot instanceof HTMLElement) slot.style.removeProperty("overflow");
}

function render(d: Decision | null, slots: Element[]): void {
  if (!d || typeof d.slots !== "object" || !d.slots) return;
  for (const slot of slots) {
    const c = d.slots[slot.getAttribute("data-xsell-slot") || ""];
    const node = c && typeof c === "object" ? build(c) : null;
    if (node && slot instanceof HTMLElement) {
      fillSlot(slot, node);
      slot.setAttribute("data-xsell-filled", "1");
      if (typeof c.token === "string") watch(slot, "impression", c.token);
    } else if (slot.hasAttribute("data-xsell-filled")) clear(slot); // left over from the last route
  }
  // A holdout slot stays as the site left it; its exposure is measured like an impression.
  for (const h of Array.isArray(d.holdouts) ? d.holdouts : []) {
    const slot = h && slots.find((s) => s.getAttribute("data-xsell-slot") === h.slot);
    if (slot && typeof h.token === "string") watch(slot, "holdout", h.token);
  }
}

// ---- viewability ---------------------------------------------------------------

function arm(target: Element, item: Watch): void {
  clearTimeout(item.timer);
  if (!item.visible || document.visibilityState !== "visible") return;
  item.timer = setTimeout(() => {
    watches.delete(target);
    if (observer) observer.unobserve(target);
    send({ type: item.type, token: item.token });
  }, VIEWABLE_MS);
}

function watch(target: Element, type: string, token: string): void {
  if (typeof IntersectionObserver !== "function") return; // no way to prove viewability
  observer =
    observer ||
    new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const item = watches.get(entry.target);
          if (!item) continue;
          item.visible = entry.isIntersecting && entry.intersectionRatio >= VIEWABLE_RATIO;
          arm(entry.target, item);
        }
      },
      { threshold: [0, VIEWABLE_RATIO, 1] },
    );
  watches.set(target, { type, token });
  observer.observe(target);
}

function unwatchAll(): void {
  watches.forEach((item, target) => {
    clearTimeout(item.timer);
    if (observer) observer.unobserve(target);
  });
  watches.clear();
}

// ---- sending -------------------------------------------------------------------

function send(event: Props, now?: boolean): void {
  if (optedOut || !config.api) return;
  outbox.push(event);
  if (now) flush();
  else if (!batchTimer) batchTimer = setTimeout(flush, BATCH_MS);
}

// Timers and listeners call flush and decide outside any command: each guards itself.
function flush(): void {
  clearTimeout(batchTimer);
  batchTimer = undefined;
  try {
    sendAll();
  } catch {
    noop();
  }
}

function sendAll(): void {
  while (outbox.length && !optedOut) {
    // text/plain keeps this a CORS "simple" request: no preflight. The body is JSON.
    const body = JSON.stringify({ site: config.site, events: outbox.splice(0, BATCH_MAX) });
    const url = endpoint("/v1/events");
    let queued = false;
    try {
      queued = navigator.sendBeacon(url, body); // survives the page being unloaded
    } catch {
      noop();
    }
    if (!queued) {
      fetch(url, {
        method: "POST",
        body,
        keepalive: true,
        credentials: "omit",
        headers: { "content-type": "text/plain;charset=UTF-8" },
      }).catch(noop);
    }
  }
}

// ---- decisions -----------------------------------------------------------------

function routeKey(): string {
  return location.pathname + location.search;
}

function decide(): void {
  try {
    ask();
  } catch {
    noop();
  }
}

function ask(): void {
  if (optedOut || !pageProps || !identity || !config.api || !config.site) return;
  if (document.readyState === "loading") {
    // Called from the page's <head>: the slots are not parsed yet.
    document.addEventListener("DOMContentLoaded", decide);
    return;
  }
  const key = routeKey();
  if (key === decidedUrl) return; // one decision per page view
  const slots = Array.from(document.querySelectorAll("[data-xsell-slot]"));
  if (!slots.length) return;
  decidedUrl = key;
  const current = ++view;
  unwatchAll();
  flush();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), config.timeoutMs);
  fetch(endpoint("/v1/decide"), {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8" },
    credentials: "omit",
    signal: abort.signal,
    body: JSON.stringify({
      site: config.site,
      customer: identity,
      slots: slots.map((s) => s.getAttribute("data-xsell-slot")),
      // decide accepts page URLs of up to 2048 characters
      page: { ...pageProps, url: location.href.slice(0, 2048), referrer: document.referrer.slice(0, 2048) || null },
      ...(preview ? { preview } : {}),
    }),
  })
    .then((r) => (r.ok ? r.json() : null))
    .then((d) => {
      if (current === view && !optedOut) render(d, slots);
    })
    .catch(noop)
    .then(() => clearTimeout(timer));
}

function routeChanged(): void {
  clearTimeout(routeTimer);
  routeTimer = setTimeout(decide, ROUTE_SETTLE_MS);
}

// ---- referrals and conversions -------------------------------------------------

function expiry(token: string): number {
  try {
    const body = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    const exp = JSON.parse(atob(body)).exp;
    if (typeof exp === "number") return exp * 1000;
  } catch {
    noop();
  }
  return Date.now() + REF_FALLBACK_MS;
}

// A click-through lands with ?xsell_ref=<token>: keep it in first-party storage for
// the attribution window and take it out of the visible URL.
function landed(): void {
  const url = new URL(location.href);
  const ref = url.searchParams.get(REF_PARAM);
  if (ref === null) return;
  url.searchParams.delete(REF_PARAM);
  history.replaceState(history.state, "", url.href);
  if (!optedOut && ref) save(REF_PARAM, JSON.stringify({ t: ref, e: expiry(ref) }));
}

function convert(order: Props): void {
  let ref: { t?: unknown; e?: unknown } | null = null;
  try {
    ref = JSON.parse(load(REF_PARAM) || "null");
  } catch {
    noop();
  }
  if (!ref || typeof ref.t !== "string" || !(Number(ref.e) > Date.now())) {
    save(REF_PARAM, null); // no referral, or its window has closed
    return;
  }
  send(
    {
      type: "conversion",
      ref: ref.t,
      order_id: String(order.order_id),
      value: Number(order.value),
      currency: String(order.currency || "").toUpperCase(),
    },
    true,
  );
}

function optOut(): void {
  optedOut = true;
  save(OPTOUT_KEY, "1");
  save(REF_PARAM, null);
  outbox = [];
  view++;
  unwatchAll();
  document.querySelectorAll("[data-xsell-filled]").forEach(clear);
}

// ---- commands ------------------------------------------------------------------

function run(args: Args): void {
  try {
    const name = args[0];
    const arg = args[1];
    const props = (arg && typeof arg === "object" ? arg : {}) as Props;
    if (name === "init") {
      if (typeof props.site === "string") config.site = props.site;
      if (typeof props.api === "string") config.api = props.api;
      if (Number(props.timeoutMs) > 0) config.timeoutMs = Number(props.timeoutMs);
    } else if (name === "identify") {
      // A signed token from the brand's backend; a raw id only where the site allows it.
      if (typeof arg === "string") identity = { token: arg };
      else if (typeof props.token === "string") identity = { token: props.token };
      else if (typeof props.customer_id === "string") identity = { id: props.customer_id };
      decide();
    } else if (name === "page") {
      pageProps = props;
      decide();
    } else if (name === "convert") {
      if (!optedOut) convert(props);
    } else if (name === "optout") {
      optOut();
    } else if (name === "optin") {
      optedOut = false;
      save(OPTOUT_KEY, null);
      decidedUrl = null;
      decide();
    }
  } catch {
    noop();
  }
}

(function install(): void {
  const stub = w.xsell;
  if (stub && stub.loaded) return; // the tag itself was included twice
  const queue: Args[] = (stub && Array.isArray(stub.q) && stub.q) || [];
  const api: XsellFn = function () {
    // eslint-disable-next-line prefer-rest-params
    run(arguments);
  };
  api.loaded = true;
  api.v = stub && stub.v; // the snippet's version
  w.xsell = api;
  // A page that kept a reference to the stub still reaches the tag through it.
  if (stub) stub.q = { push: run };
  try {
    const token = new URL(location.href).searchParams.get(PREVIEW_PARAM);
    if (token && token.length <= PREVIEW_MAX) preview = token;
    landed();
    for (const method of ["pushState", "replaceState"] as const) {
      const original = history[method];
      history[method] = function (this: History, ...a: Parameters<History["pushState"]>) {
        original.apply(this, a);
        routeChanged();
      };
    }
    addEventListener("popstate", routeChanged);
    addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", () => {
      watches.forEach((item, target) => arm(target, item));
      if (document.visibilityState === "hidden") flush();
    });
  } catch {
    noop();
  }
  for (const args of queue.splice(0)) run(args); // replayed once, in order
})();
