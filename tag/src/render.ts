// Creative rendering: the one function that turns a decided creative into DOM, with DOM APIs
// only (every text through textContent, links and images https only). The site tag renders
// banners with it, and the admin page's creative preview imports the very same module.

export interface Creative {
  campaign_id: string;
  creative_id: string;
  template: string;
  fields: Record<string, string>;
  token?: string; // signed by decide: proves impressions and clicks
  ref?: string; // signed referral token, appended to the link as ?xsell_ref=
}

export const REF_PARAM = "xsell_ref";

/** An https URL (plain http only for loopback hosts, so the local demo works), else null. */
export function safeUrl(value: unknown): URL | null {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value, location.href);
    const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
    if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return url;
  } catch {
    /* not a URL: refused */
  }
  return null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = "xsell-" + cls;
  if (text) node.textContent = text;
  return node;
}

// Containment: whatever a creative's texts are (a config may hold texts of up to 2,048
// characters, unbroken ones included), the banner stays inside the slot's reserved box. Texts
// break anywhere and stop after a few lines, nothing may grow wider than the slot, and the slot
// clips what is left, so no part of the link ever lies over the host page. Set through the
// CSSOM (element.style), which a Content Security Policy without 'unsafe-inline' allows; the
// site's own CSS still decides fonts, colours, spacing and the slot's size.
const LINES: Record<string, number> = { title: 2, body: 3, cta: 1 };

function style(node: HTMLElement, rules: Record<string, string>): void {
  for (const name in rules) node.style.setProperty(name, rules[name]);
}

function text(cls: string, value: string): HTMLElement {
  const node = el(cls === "title" ? "strong" : "span", cls, value);
  style(node, {
    "overflow-wrap": "anywhere",
    overflow: "hidden",
    "min-width": "0",
    "max-width": "100%",
    display: "-webkit-box",
    "-webkit-box-orient": "vertical",
    "-webkit-line-clamp": String(LINES[cls]),
  });
  return node;
}

/** Put a banner in its slot, which from then on clips anything outside its own box. */
export function fillSlot(slot: HTMLElement, node: Node): void {
  slot.style.setProperty("overflow", "hidden");
  slot.replaceChildren(node);
}

/** The banner's link element for one of the three templates, or null when it must not show. */
export function creativeNode(c: Creative): HTMLAnchorElement | null {
  const f = c.fields || {};
  const href = safeUrl(f.link_url);
  if (!href || !/^(image_banner|text_card|image_text)$/.test(c.template)) return null;
  if (typeof c.ref === "string") href.searchParams.set(REF_PARAM, c.ref);
  const link = el("a", "creative");
  style(link, { overflow: "hidden", "max-width": "100%", "max-height": "100%", "min-width": "0" });
  link.href = href.href;
  link.rel = "noopener";
  link.setAttribute("data-xsell-campaign", c.campaign_id);
  link.setAttribute("data-xsell-template", c.template);
  const image = safeUrl(f.image_url);
  if (image && c.template !== "text_card") {
    const img = el("img", "image");
    img.src = image.href;
    img.alt = f.alt || f.title || "";
    link.appendChild(img);
  }
  if (c.template !== "image_banner") {
    for (const key of ["title", "body", "cta"]) if (f[key]) link.appendChild(text(key, f[key]));
  } else if (!link.firstChild) return null; // an image banner whose image was refused
  return link;
}
