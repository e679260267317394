// The xsell site tag: replays the snippet's queue, asks /v1/decide for the slots
// on the page and renders creatives with DOM APIs only. It never throws into the
// host page and writes nothing to the console.

type Args = ArrayLike<unknown>;
interface Config {
  site?: string;
  api?: string;
  timeoutMs?: number;
}
interface Creative {
  campaign_id: string;
  creative_id: string;
  template: string;
  fields: Record<string, string>;
}
interface Decision {
  decision_id: string;
  slots: Record<string, Creative>;
}
interface XsellFn {
  (...args: unknown[]): void;
  q?: Args[];
  loaded?: boolean;
}

const w = window as unknown as { xsell?: XsellFn };
const config: Config = { timeoutMs: 1500 };
let customerId: string | null = null;

function safeUrl(value: unknown): string | null {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value, location.href);
    const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
    // https only; plain http is accepted for loopback hosts so the local demo works.
    if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return url.href;
  } catch {
    /* not a URL */
  }
  return null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = "xsell-" + cls;
  if (text) node.textContent = text;
  return node;
}

function build(c: Creative): HTMLElement | null {
  const f = c.fields || {};
  const href = safeUrl(f.link_url);
  if (!href) return null;
  const link = el("a", "creative");
  link.href = href;
  link.rel = "noopener";
  link.setAttribute("data-xsell-campaign", c.campaign_id);
  link.setAttribute("data-xsell-template", c.template);
  const image = safeUrl(f.image_url);
  if (image && c.template !== "text_card") {
    const img = el("img", "image");
    img.src = image;
    img.alt = f.alt || f.title || "";
    link.appendChild(img);
  }
  if (c.template !== "image_banner") {
    if (f.title) link.appendChild(el("strong", "title", f.title));
    if (f.body) link.appendChild(el("span", "body", f.body));
    if (f.cta) link.appendChild(el("span", "cta", f.cta));
  }
  return link;
}

function render(decision: Decision | null, slots: HTMLElement[]): void {
  if (!decision || typeof decision.slots !== "object") return;
  for (const slot of slots) {
    const creative = decision.slots[slot.getAttribute("data-xsell-slot") || ""];
    const node = creative && build(creative);
    if (node) {
      slot.replaceChildren(node);
      slot.setAttribute("data-xsell-filled", "1");
    }
  }
}

function page(): void {
  if (!config.api || !config.site || !customerId) return;
  const slots = Array.from(document.querySelectorAll<HTMLElement>("[data-xsell-slot]"));
  if (!slots.length) return;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), config.timeoutMs);
  // text/plain keeps this a "simple" CORS request: no preflight round trip.
  fetch(config.api.replace(/\/$/, "") + "/v1/decide", {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8" },
    credentials: "omit",
    signal: abort.signal,
    body: JSON.stringify({
      site: config.site,
      customer: { id: customerId },
      slots: slots.map((s) => s.getAttribute("data-xsell-slot")),
      page: { url: location.href, referrer: document.referrer || null },
    }),
  })
    .then((r) => (r.ok ? r.json() : null))
    .then((d) => render(d, slots))
    .catch(() => undefined)
    .then(() => clearTimeout(timer));
}

function run(args: Args): void {
  try {
    const name = args[0];
    const arg = args[1] as Record<string, unknown> | string | undefined;
    if (name === "init" && arg && typeof arg === "object") Object.assign(config, arg);
    else if (name === "identify") customerId = typeof arg === "string" ? arg : ((arg?.customer_id as string) ?? null);
    else if (name === "page") page();
  } catch {
    /* never break the host page */
  }
}

(function install(): void {
  const existing = w.xsell;
  if (existing && existing.loaded) return; // the tag itself was included twice
  const queue = (existing && existing.q) || [];
  const api: XsellFn = function () {
    // eslint-disable-next-line prefer-rest-params
    run(arguments);
  };
  api.loaded = true;
  w.xsell = api;
  for (const args of queue) run(args);
})();
