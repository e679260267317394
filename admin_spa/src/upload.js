// Files sent straight to storage through a presigned URL: the PUT with upload progress (partner
// CSVs, creative images), and the checks and digest a creative image needs before the API is
// asked for its URL. The API checks type, size and digest again; these checks only spare the
// user a round trip and a wasted upload.
import { t } from "./i18n.js";

/** The image types the API accepts for a creative. */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/** The largest creative image the API accepts, in bytes. */
export const MAX_IMAGE_BYTES = 1_000_000;

/** What the file input offers: the four types (the check below reads the bytes anyway). */
export const IMAGE_ACCEPT = IMAGE_TYPES.join(",");

/** Headers a page may not set on a request: the browser sets them from the body. */
const BROWSER_SET = new Set(["content-length", "host"]);

/**
 * PUT a file with upload progress (fetch has none). `headers` are sent as given (a presigned URL
 * signs them), except those the browser sets itself.
 * @param {string} url @param {Blob | ArrayBuffer} file @param {Record<string, string>} headers
 * @param {(share: number) => void} onProgress
 * @returns {Promise<void>}
 */
export function putWithProgress(url, file, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(headers || {})) if (!BROWSER_SET.has(k.toLowerCase())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve(undefined) : reject(new Error(t("upload.put_failed", { status: xhr.status }))));
    xhr.onerror = () => reject(new Error(t("upload.put_network")));
    xhr.send(file);
  });
}

/**
 * The image type the first bytes of a file show (PNG, JPEG, WebP, GIF), else null. A file's own
 * type comes from its name, so a renamed file would be sent under a type it is not.
 * @param {Uint8Array} head at least the first 12 bytes
 * @returns {string | null}
 */
export function sniffImageType(head) {
  const starts = (/** @type {number[]} */ bytes, at = 0) => bytes.every((b, i) => head[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) return "image/gif";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return null;
}

/**
 * The message key for a file that cannot be a creative image by its name's type and size
 * (checked before reading it), else null.
 * @param {{type: string, size: number}} file
 * @returns {string | null}
 */
export function imageFileProblem(file) {
  if (file.type && !IMAGE_TYPES.includes(file.type)) return "upload.image_type";
  if (file.size <= 0) return "upload.image_empty";
  if (file.size > MAX_IMAGE_BYTES) return "upload.image_too_big";
  return null;
}

/** Standard base64 of bytes (what the API and S3 expect of a SHA-256 digest). @param {ArrayBuffer | Uint8Array} bytes */
export function base64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Base64 of the SHA-256 digest of `bytes` (44 characters). @param {ArrayBuffer} bytes */
export async function sha256Base64(bytes) {
  return base64(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * What the API is asked for a creative image's upload, and the bytes to send (the very bytes the
 * digest is of); or the key of the message for a file that is not an image it takes. Reads the
 * file only if its name's type and its size pass.
 * @param {Blob} file
 * @returns {Promise<{problem: string, body?: undefined, bytes?: undefined} | {problem: null, body: {content_type: string, size: number, sha256: string}, bytes: ArrayBuffer}>}
 */
export async function describeImage(file) {
  const early = imageFileProblem(file);
  if (early) return { problem: early };
  const bytes = await file.arrayBuffer();
  const type = sniffImageType(new Uint8Array(bytes, 0, Math.min(12, bytes.byteLength)));
  if (!type) return { problem: "upload.image_type" };
  return { problem: null, body: { content_type: type, size: bytes.byteLength, sha256: await sha256Base64(bytes) }, bytes };
}
