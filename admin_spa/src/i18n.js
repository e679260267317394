// Messages in Japanese (default) and English; one module per language. Dates and numbers are
// formatted ja-JP, times in Asia/Tokyo, whatever the language (the group works in Japan).
import { signal } from "@preact/signals";
import ja from "./messages/ja.js";
import en from "./messages/en.js";

/** @typedef {"ja" | "en"} Lang */
export const MESSAGES = { ja, en };
const KEY = "xsell.lang";

/** @returns {Lang} */
function stored() {
  try {
    const value = globalThis.localStorage?.getItem(KEY);
    return value === "en" ? "en" : "ja";
  } catch {
    return "ja";
  }
}

export const lang = signal(stored());

/** @param {Lang} value */
export function setLang(value) {
  lang.value = value;
  try {
    globalThis.localStorage?.setItem(KEY, value);
  } catch {
    /* storage blocked: the choice lasts for this page */
  }
  if (globalThis.document) document.documentElement.lang = value;
}

/**
 * The message `key` in the current language (falling back to Japanese, then the key itself),
 * with `{name}` placeholders filled from `params`.
 * @param {string} key
 * @param {Record<string, unknown>} [params]
 * @param {Lang} [language]
 */
export function t(key, params, language = lang.value) {
  const text = MESSAGES[language]?.[key] ?? MESSAGES.ja[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m)) : text;
}

const TZ = "Asia/Tokyo";
const dateTime = new Intl.DateTimeFormat("ja-JP", {
  timeZone: TZ,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});
const numbers = new Intl.NumberFormat("ja-JP");
const percent = new Intl.NumberFormat("ja-JP", { style: "percent", maximumFractionDigits: 1 });

/** "2026/11/03 09:05" in Tokyo time, or "—". @param {string | number | Date | null | undefined} value */
export function formatDateTime(value) {
  if (value === null || value === undefined || value === "") return "—";
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTime.format(date);
}

/** @param {number | null | undefined} value */
export function formatNumber(value) {
  return typeof value === "number" && Number.isFinite(value) ? numbers.format(value) : "—";
}

/** @param {number | null | undefined} share 0–1 */
export function formatPercent(share) {
  return typeof share === "number" && Number.isFinite(share) ? percent.format(share) : "—";
}
