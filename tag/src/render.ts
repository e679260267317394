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

/** The banner's link element for one of the three templates, or null when it must not show. */
export function creativeNode(c: Creative): HTMLAnchorElement | null {
  const f = c.fields || {};
  const href = safeUrl(f.link_url);
  if (!href || !/^(image_banner|text_card|image_text)$/.test(c.template)) return null;
  if (typeof c.ref === "string") href.searchParams.set(REF_PARAM, c.ref);
  const link = el("a", "creative");
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
    if (f.title) link.appendChild(el("strong", "title", f.title));
    if (f.body) link.appendChild(el("span", "body", f.body));
    if (f.cta) link.appendChild(el("span", "cta", f.cta));
  } else if (!link.firstChild) return null; // an image banner whose image was refused
  return link;
}
