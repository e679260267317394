// Hash routes (#/campaigns/x): they work behind CloudFront and the local CDN alike.
import { signal } from "@preact/signals";

/**
 * @typedef {object} Route
 * @property {string[]} parts  path segments: ["campaigns", "x"]
 * @property {URLSearchParams} query
 */

/** @param {string} hash @returns {Route} */
export function parseRoute(hash) {
  const raw = hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export const route = signal(parseRoute(globalThis.location?.hash || ""));

if (globalThis.addEventListener) {
  addEventListener("hashchange", () => {
    route.value = parseRoute(location.hash);
  });
}

/** @param {string} path e.g. "/campaigns/x" */
export function navigate(path) {
  location.hash = "#" + path;
}

/** @param {...string} parts */
export function href(...parts) {
  return "#/" + parts.map(encodeURIComponent).join("/");
}
