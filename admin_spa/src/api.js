// The one client of the admin API (/admin/v1). Every answer that is not 2xx becomes an ApiError;
// `fieldErrors` turns the API's `field` (e.g. "campaign.caps[0].period") into the path of the
// form input that shows it ("caps[0].period"). A 401 opens the sign-in dialog over the current
// screen and the call is retried once signed in, so a half-filled form is never lost.
import { config } from "./config.js";
import { freshIdToken, requestReauth } from "./auth/session.js";

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{error?: string, message?: string, field?: string, current?: any}} body
   */
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || (status === 0 ? "network" : `http_${status}`);
    this.field = body?.field || null;
    this.current = body?.current ?? null;
    this.body = body;
  }
}

const KIND_PREFIX = /^(campaign|creative|site|partner|group|settings)\./;

/**
 * The form path an API `field` names: without the document kind ("campaign.caps[0]" -> "caps[0]"),
 * and for a publish error ("campaign/x:campaign.caps[0]") the part after the colon.
 * @param {string | null | undefined} field
 */
export function fieldPath(field) {
  if (!field) return "";
  const afterColon = field.includes(":") ? field.slice(field.indexOf(":") + 1) : field;
  return afterColon.replace(KIND_PREFIX, "");
}

/**
 * `{path: message}` for a 400 answer (one field), `{"": message}` for any other error.
 * @param {unknown} error
 * @returns {Record<string, string>}
 */
export function fieldErrors(error) {
  if (!(error instanceof ApiError)) return { "": error instanceof Error ? error.message : String(error) };
  if (error.status === 400 && error.field) return { [fieldPath(error.field)]: error.message };
  return { "": error.message };
}

/**
 * The message for one input: its own error, else null. A message for a deeper path shows at its
 * nearest shown ancestor only if that ancestor asks with `deep`.
 * @param {Record<string, string>} errors @param {string} path @param {boolean} [deep]
 */
export function errorAt(errors, path, deep = false) {
  if (errors[path]) return errors[path];
  if (!deep) return null;
  const key = Object.keys(errors).find((k) => k.startsWith(path + ".") || k.startsWith(path + "["));
  return key ? errors[key] : null;
}

/** Error kinds the screens word differently. @param {unknown} error */
export function errorKind(error) {
  if (!(error instanceof ApiError)) return "network";
  if (error.status === 403) return "forbidden";
  if (error.status === 404) return "not_found";
  if (error.status === 409) return "conflict";
  if (error.status === 400) return "invalid";
  if (error.status === 0) return "network";
  return "server";
}

/**
 * @param {string} method @param {string} path e.g. "/campaigns" @param {unknown} [body]
 * @param {{raw?: boolean, retried?: boolean}} [options] raw: the Response itself (CSV downloads)
 * @returns {Promise<any>}
 */
export async function request(method, path, body, options = {}) {
  const token = await freshIdToken();
  const boot = bootRequests();
  if (method !== "GET") {
    boot?.clear(); // what boot.js fetched early may be changed by this
    firstAnswers.clear();
  }
  const early = method === "GET" && !options.retried ? boot?.take(path, token, config.apiBase) : null;
  /** @type {Response} */
  let answer = early ? await early : null;
  if (!answer) {
    try {
      answer = await fetch(config.apiBase.replace(/\/$/, "") + path, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, { error: "network", message: error instanceof Error ? error.message : String(error) });
    }
  }
  if (answer.status === 401 && !options.retried) {
    await requestReauth();
    return request(method, path, body, { ...options, retried: true });
  }
  if (!answer.ok) {
    const data = await answer.json().catch(() => ({}));
    throw new ApiError(answer.status, data);
  }
  if (options.raw) return answer;
  return answer.status === 204 ? null : answer.json();
}

/** What boot.js started, if it ran. @returns {import("./boot.js").Boot | undefined} */
function bootRequests() {
  return /** @type {any} */ (globalThis).xsellBoot;
}

/** The parsed early answers for the first render, by path (awaitEarly); each given out once. */
const firstAnswers = new Map();
let firstRenderDone = false;

/**
 * Take boot.js's early reads for `paths` (by default all it started) with the current token,
 * and keep each 2xx JSON answer for `early`. A read that failed, answered otherwise, or was made
 * with another token is dropped: its screen asks again, as it would have without boot.js.
 * Needs the config (the API base). Answers arriving after the first render are dropped too.
 * @param {string[]} [paths]
 */
export async function awaitEarly(paths) {
  firstRenderDone = false;
  firstAnswers.clear();
  const boot = bootRequests();
  const wanted = paths || boot?.started || [];
  if (!boot || wanted.length === 0) return; // nothing early (a token about to expire, say): no wait
  const token = await freshIdToken();
  await Promise.all(
    wanted.map(async (path) => {
      const pending = boot.take(path, token, config.apiBase);
      const answer = pending ? await pending : null;
      if (!answer || !answer.ok || answer.status === 204) return;
      try {
        const data = await answer.json();
        if (!firstRenderDone) firstAnswers.set(path, data);
      } catch {
        /* not JSON: the screen asks again and reports it */
      }
    }),
  );
}

/**
 * The early answer to GET `path` (see awaitEarly), once; undefined if there is none, and always
 * after the first render (forgetEarly empties them; the data could be stale by then).
 * @param {string} path
 */
export function early(path) {
  const data = firstAnswers.get(path);
  firstAnswers.delete(path);
  return data;
}

/** The early answer to `path` without taking it. @param {string} path */
export function peekEarly(path) {
  return firstAnswers.get(path);
}

/** The first render is done: early answers not taken by it are dropped, and later ones too. */
export function forgetEarly() {
  firstRenderDone = true;
  firstAnswers.clear();
}

export const api = {
  /** @param {string} path */
  get: (path) => request("GET", path),
  /** @param {string} path @param {unknown} [body] */
  post: (path, body = {}) => request("POST", path, body),
  /** @param {string} path @param {unknown} body */
  put: (path, body) => request("PUT", path, body),
  /** @param {string} path */
  del: (path) => request("DELETE", path),
};

/** "?a=1&b=2" without empty values. @param {Record<string, string | number | null | undefined>} params */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const text = q.toString();
  return text ? "?" + text : "";
}
