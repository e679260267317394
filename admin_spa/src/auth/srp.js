// Cognito's SRP-6a (USER_SRP_AUTH) with BigInt and WebCrypto: the RFC 5054 3072-bit group,
// g = 2, k = H(N | g), x = H(salt | H(poolName | userIdForSrp | ":" | password)),
// S = (B - k g^x)^(a + u x) mod N, key = HKDF(S, salt = u, info "Caldera Derived Key")[0:16],
// PASSWORD_CLAIM_SIGNATURE = HMAC(key, poolName | userIdForSrp | secretBlock | timestamp).
// Written from the protocol description; checked against a server-side computation in
// admin_spa/test/srp.test.mjs.

export const N = BigInt(
  "0x" +
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64" +
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B" +
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31" +
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
export const g = 2n;
const encoder = new TextEncoder();
/** @param {string} s @returns {Uint8Array<ArrayBuffer>} */
const utf8 = (s) => /** @type {Uint8Array<ArrayBuffer>} */ (encoder.encode(s));

/** (base ^ exp) mod m, square-and-multiply. @param {bigint} base @param {bigint} exp @param {bigint} m */
export function modPow(base, exp, m) {
  let result = 1n;
  let b = ((base % m) + m) % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Even-length hex of a non-negative integer, "00"-prefixed when the top bit is set (Java's toByteArray). @param {bigint} n */
export function padHex(n) {
  let hex = n.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  if (/^[89a-f]/i.test(hex)) hex = "00" + hex;
  return hex;
}

/** @param {string} hex @returns {Uint8Array<ArrayBuffer>} */
export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {ArrayBuffer | Uint8Array} bytes */
export function bytesToHex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** @param {Uint8Array[]} parts @returns {Uint8Array<ArrayBuffer>} */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** SHA-256 as 64 hex digits. @param {Uint8Array<ArrayBuffer>} bytes */
export async function sha256Hex(bytes) {
  return bytesToHex(await crypto.subtle.digest("SHA-256", bytes));
}

/** @param {Uint8Array<ArrayBuffer>} key @param {Uint8Array<ArrayBuffer>} data */
export async function hmac(key, data) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/** k = H(N | g) */
export async function multiplier() {
  return BigInt("0x" + (await sha256Hex(hexToBytes(padHex(N) + padHex(g)))));
}

/** A fresh client secret a (128 random bytes) and A = g^a mod N. */
export function clientKeys() {
  for (;;) {
    const a = BigInt("0x" + bytesToHex(crypto.getRandomValues(new Uint8Array(128))));
    const A = modPow(g, a, N);
    if (A % N !== 0n) return { a, A };
  }
}

/**
 * The 16-byte password authentication key (HKDF of S, salted with u).
 * @param {{poolName: string, userId: string, password: string, a: bigint, A: bigint, B: bigint, salt: string}} p
 *   salt and B as Cognito sends them (hex).
 */
export async function passwordKey({ poolName, userId, password, a, A, B, salt }) {
  if (B % N === 0n) throw new Error("SRP: B mod N is 0");
  const u = BigInt("0x" + (await sha256Hex(hexToBytes(padHex(A) + padHex(B)))));
  if (u === 0n) throw new Error("SRP: u is 0");
  const identity = await sha256Hex(utf8(`${poolName}${userId}:${password}`));
  const x = BigInt("0x" + (await sha256Hex(hexToBytes(padHex(BigInt("0x" + salt)) + identity))));
  const k = await multiplier();
  const base = (((B - k * modPow(g, x, N)) % N) + N) % N;
  const S = modPow(base, a + u * x, N);
  const prk = await hmac(hexToBytes(padHex(u)), hexToBytes(padHex(S)));
  const okm = await hmac(prk, concat(utf8("Caldera Derived Key"), new Uint8Array([1])));
  return /** @type {Uint8Array<ArrayBuffer>} */ (okm.slice(0, 16));
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Cognito's TIMESTAMP: "Tue Jan 2 03:04:05 UTC 2024" (day not padded). @param {Date} [now] */
export function timestamp(now = new Date()) {
  const two = (n) => String(n).padStart(2, "0");
  const time = `${two(now.getUTCHours())}:${two(now.getUTCMinutes())}:${two(now.getUTCSeconds())}`;
  return `${DAYS[now.getUTCDay()]} ${MONTHS[now.getUTCMonth()]} ${now.getUTCDate()} ${time} UTC ${now.getUTCFullYear()}`;
}

/** @param {string} b64 */
function fromBase64(b64) {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/**
 * PASSWORD_CLAIM_SIGNATURE (base64).
 * @param {Uint8Array<ArrayBuffer>} key @param {string} poolName @param {string} userId @param {string} secretBlock @param {string} time
 */
export async function claimSignature(key, poolName, userId, secretBlock, time) {
  const message = concat(utf8(poolName), utf8(userId), fromBase64(secretBlock), utf8(time));
  const mac = await hmac(key, message);
  return btoa(String.fromCharCode(...mac));
}
