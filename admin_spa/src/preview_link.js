// The link that opens a brand page with a preview token (the Preview screen).

/** The page URL parameter the tag reads a preview token from (tag/src/tag.ts). */
export const PREVIEW_PARAM = "xsell_preview";

/**
 * The links that open the brand page with the preview. `urls` (from the API): each site's page
 * with the token. An empty `page`: those; else `page` with the token, when it is a page of one of
 * those sites (same origin), or an error: "invalid" (not an absolute URL), "origin" (another site).
 * @param {string} page @param {Record<string, string>} urls
 * @returns {{links: {site: string, href: string}[], error?: "invalid" | "origin"}}
 */
export function previewLinks(page, urls) {
  const sites = Object.entries(urls || {});
  const wanted = (page || "").trim();
  if (!wanted) return { links: sites.map(([site, href]) => ({ site, href })) };
  /** @type {URL} */
  let url;
  try {
    url = new URL(wanted);
  } catch {
    return { links: [], error: "invalid" };
  }
  const found = sites.find(([, href]) => new URL(href).origin === url.origin);
  if (!found) return { links: [], error: "origin" };
  url.searchParams.set(PREVIEW_PARAM, new URL(found[1]).searchParams.get(PREVIEW_PARAM) || "");
  return { links: [{ site: found[0], href: url.href }] };
}
