// Who is signed in: tokens in sessionStorage (gone when the tab closes), refreshed before they
// expire; `reauth` opens the sign-in dialog over the current screen when the API answers 401.
import { computed, signal } from "@preact/signals";
import { refresh, revoke } from "./cognito.js";

/** @typedef {import("./cognito.js").Tokens} Tokens */
/** @typedef {{user: string, email: string, role: string, brand: string | null, can_write: boolean}} Me */

export const KEY = "xsell.session"; // boot.js reads it too
export const EARLY_MS = 5 * 60 * 1000; // refresh this long before expiry

/** @returns {Tokens | null} */
function restore() {
  try {
    const value = JSON.parse(globalThis.sessionStorage?.getItem(KEY) || "null");
    return value && value.idToken ? value : null;
  } catch {
    return null;
  }
}

export const tokens = signal(restore());
/** @type {import("@preact/signals").Signal<Me | null>} */
export const me = signal(null);
export const signedIn = computed(() => tokens.value !== null);
/** Set while the API wants a new sign-in; the dialog resolves it. */
export const reauth = signal(/** @type {null | {resolve: () => void, done: Promise<unknown>}} */ (null));

/** The e-mail in the ID token (for the dialog), without verifying it. @param {string} token */
export function claims(token) {
  try {
    const body = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(body))));
  } catch {
    return {};
  }
}

let timer = 0;

/** @param {Tokens | null} value */
export function setTokens(value) {
  tokens.value = value;
  try {
    if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage blocked */
  }
  clearTimeout(timer);
  if (value) {
    const wait = Math.max(5_000, value.expiresAt - Date.now() - EARLY_MS);
    timer = Number(setTimeout(() => void freshIdToken(true), wait));
  }
}

let refreshing = /** @type {Promise<string | null> | null} */ (null);

/** The ID token, refreshed first when it expires within five minutes (or `force`). */
export async function freshIdToken(force = false) {
  const current = tokens.value;
  if (!current) return null;
  if (!force && current.expiresAt - Date.now() > EARLY_MS) return current.idToken;
  refreshing ||= refresh(current.refreshToken)
    .then((next) => {
      setTokens(next);
      return next.idToken;
    })
    .catch(() => null) // an expired or revoked refresh token: the next 401 asks to sign in
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Ask for a new sign-in over the current screen; resolves once signed in again. */
export function requestReauth() {
  if (!reauth.value) {
    /** @type {(value?: unknown) => void} */
    let resolve = () => {};
    const done = new Promise((r) => (resolve = r));
    reauth.value = { resolve: () => resolve(), done };
  }
  return /** @type {Promise<void>} */ (reauth.value.done);
}

export async function signOut() {
  const current = tokens.value;
  setTokens(null);
  me.value = null;
  if (current) await revoke(current.refreshToken);
}

if (tokens.value) setTokens(tokens.value); // re-arm the refresh timer after a reload
