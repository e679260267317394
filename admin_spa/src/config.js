// /admin/config.json, written at deploy time (infra/stacks/delivery.py) or by the local CDN.

/**
 * @typedef {object} AppConfig
 * @property {string} stage
 * @property {string} region
 * @property {string} userPoolId
 * @property {string} userPoolClientId
 * @property {string} apiBase            "/admin/v1": the admin API on this origin
 * @property {string} [cognitoEndpoint]  set only locally (the emulator); AWS's endpoint otherwise
 */

/** @type {AppConfig | null} */
export let config = null;

/** @returns {Promise<AppConfig>} */
export async function loadConfig() {
  const early = /** @type {any} */ (globalThis).xsellBoot?.config; // boot.js asked already
  if (early) {
    config = await early;
    return config;
  }
  const answer = await fetch("config.json", { cache: "no-store" });
  if (!answer.ok) throw new Error(`config.json: HTTP ${answer.status}`);
  config = await answer.json();
  return config;
}

/** For tests and the bench. @param {AppConfig} value */
export function setConfig(value) {
  config = value;
}

/** Where Cognito's API is: the emulator locally, the region's endpoint in AWS. @param {AppConfig} c */
export function cognitoEndpoint(c) {
  return c.cognitoEndpoint || `https://cognito-idp.${c.region}.amazonaws.com/`;
}
