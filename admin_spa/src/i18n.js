// Messages in Japanese (default) and English; one module per language. Japanese is part of the
// app; English is a chunk of its own, fetched only when chosen (most users never switch), so it
// never delays the first screen. Dates and numbers are formatted ja-JP, times in Asia/Tokyo,
// whatever the language (the group works in Japan).
import { signal } from "@preact/signals";
import ja from "./messages/ja.js";

/** @typedef {"ja" | "en"} Lang */
/** @typedef {Record<string, string>} Messages */

/** The messages of each language loaded so far (English once its chunk is in). */
export const MESSAGES = /** @type {{ja: Messages, en: Messages | null}} */ ({ ja, en: null });

/**
 * How a language's messages are fetched; a dynamic import, which the build makes a chunk.
 * Tests replace it to see a fetch fail.
 * @type {Record<string, () => Promise<{default: Messages}>>}
 */
export const LOADERS = { en: () => import("./messages/en.js") };

/** The localStorage key of the choice (boot.js reads it too). */
export const KEY = "xsell.lang";

/** The choice stored on an earlier visit. @returns {Lang} */
function stored() {
  const boot = /** @type {import("./boot.js").Boot | undefined} */ (/** @type {any} */ (globalThis).xsellBoot);
  if (boot && typeof boot.lang !== "undefined") return boot.lang === "en" ? "en" : "ja"; // read at page start
  try {
    const value = globalThis.localStorage?.getItem(KEY);
    return value === "en" ? "en" : "ja";
  } catch {
    return "ja";
  }
}

/** Japanese until another language's messages are loaded (setLang, restoreLang). */
export const lang = signal(/** @type {Lang} */ ("ja"));

/** @type {Promise<void> | null} */
let loadingEn = null;

/** Fetch `value`'s messages if they are not there yet; rejects if they cannot be. @param {Lang} value */
export function loadMessages(value) {
  if (value !== "en" || MESSAGES.en) return Promise.resolve();
  loadingEn ||= LOADERS.en().then(
    (module) => {
      MESSAGES.en = module.default;
    },
    (error) => {
      loadingEn = null; // the next click tries again
      throw error;
    },
  );
  return loadingEn;
}

/**
 * Switch to `value` once its messages are loaded (until then, and if they cannot be, the page
 * stays in the language it shows); the choice is remembered for the next visit.
 * @param {Lang} value
 */
export async function setLang(value) {
  await loadMessages(value);
  lang.value = value;
  try {
    globalThis.localStorage?.setItem(KEY, value);
  } catch {
    /* storage blocked: the choice lasts for this page */
  }
  if (globalThis.document) document.documentElement.lang = value;
}

/** The language chosen on an earlier visit, loaded and switched to; Japanese if it cannot be. */
export async function restoreLang() {
  if (stored() === "ja") return;
  try {
    await setLang("en");
  } catch {
    /* English could not be fetched: the page stays in Japanese, the switch can try again */
  }
}

/**
 * The message `key` in the current language (falling back to Japanese, also while another
 * language is not loaded, then the key itself), with `{name}` placeholders filled from `params`.
 * @param {string} key
 * @param {Record<string, unknown>} [params]
 * @param {Lang} [language]
 */
export function t(key, params, language = lang.value) {
  const text = MESSAGES[language]?.[key] ?? MESSAGES.ja[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m)) : text;
}

// The formatters are made the first time they are used: making them when the module is
// evaluated (the ICU data they load) took most of the app's start-up script time, and the
// first screen (the lists) shows no date or number.
const TZ = "Asia/Tokyo";
/** @type {Intl.DateTimeFormat | null} */
let dateTime = null;
/** @type {Intl.NumberFormat | null} */
let numbers = null;
/** @type {Intl.NumberFormat | null} */
let percent = null;

/** "2026/11/03 09:05" in Tokyo time, or "—". @param {string | number | Date | null | undefined} value */
export function formatDateTime(value) {
  if (value === null || value === undefined || value === "") return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  dateTime ||= new Intl.DateTimeFormat("ja-JP", {
    timeZone: TZ,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
  return dateTime.format(date);
}

/** @param {number | null | undefined} value */
export function formatNumber(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  numbers ||= new Intl.NumberFormat("ja-JP");
  return numbers.format(value);
}

/** @param {number | null | undefined} share 0–1 */
export function formatPercent(share) {
  if (typeof share !== "number" || !Number.isFinite(share)) return "—";
  percent ||= new Intl.NumberFormat("ja-JP", { style: "percent", maximumFractionDigits: 1 });
  return percent.format(share);
}
