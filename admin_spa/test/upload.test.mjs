// Creative images are checked here before the API is asked (type by the bytes, size), their
// SHA-256 goes as standard base64, and the PUT sends the signed headers but the ones the browser sets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  IMAGE_ACCEPT,
  MAX_IMAGE_BYTES,
  base64,
  describeImage,
  imageFileProblem,
  putWithProgress,
  sha256Base64,
  sniffImageType,
} from "../src/upload.js";
import { t } from "../src/i18n.js";

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d];
const head = (/** @type {number[] | string} */ bytes) => (typeof bytes === "string" ? new TextEncoder().encode(bytes) : Uint8Array.from(bytes));

test("the four image types are told by their first bytes, anything else is not an image", () => {
  assert.equal(sniffImageType(head(PNG)), "image/png");
  assert.equal(sniffImageType(head([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1])), "image/jpeg");
  assert.equal(sniffImageType(head("GIF89a\x01\x00\x01\x00\x00\x00")), "image/gif");
  assert.equal(sniffImageType(head("GIF87a\x01\x00\x01\x00\x00\x00")), "image/gif");
  assert.equal(sniffImageType(head("RIFF\x24\x00\x00\x00WEBP")), "image/webp");
  assert.equal(sniffImageType(head("RIFF\x24\x00\x00\x00WAVE")), null);
  assert.equal(sniffImageType(head("<svg xmlns=")), null);
  assert.equal(sniffImageType(head("hello")), null);
  assert.equal(sniffImageType(head([])), null);
  assert.equal(IMAGE_ACCEPT, "image/png,image/jpeg,image/webp,image/gif");
});

test("a file's type and size are checked before it is read", () => {
  assert.equal(imageFileProblem({ type: "image/png", size: 1234 }), null);
  assert.equal(imageFileProblem({ type: "", size: 1234 }), null); // no type from its name: the bytes decide
  assert.equal(imageFileProblem({ type: "text/plain", size: 12 }), "upload.image_type");
  assert.equal(imageFileProblem({ type: "image/svg+xml", size: 12 }), "upload.image_type");
  assert.equal(imageFileProblem({ type: "image/png", size: 0 }), "upload.image_empty");
  assert.equal(imageFileProblem({ type: "image/png", size: MAX_IMAGE_BYTES }), null);
  assert.equal(imageFileProblem({ type: "image/png", size: MAX_IMAGE_BYTES + 1 }), "upload.image_too_big");
  assert.ok(t("upload.image_too_big", { size: "1,000,001" }).includes("1,000,001"));
});

test("base64 is standard base64, and a SHA-256 digest is 44 characters of it", async () => {
  assert.equal(base64(new Uint8Array([])), "");
  assert.equal(base64(new Uint8Array([0xfb, 0xff, 0xfe])), "+//+");
  assert.equal(base64(new TextEncoder().encode("xsell")), Buffer.from("xsell").toString("base64"));
  const big = new Uint8Array(100_000).map((_, i) => i * 7);
  assert.equal(base64(big), Buffer.from(big).toString("base64")); // longer than one chunk
  const abc = new TextEncoder().encode("abc");
  assert.equal(await sha256Base64(abc.buffer), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  assert.equal((await sha256Base64(abc.buffer)).length, 44);
});

test("describeImage gives the API's body from the bytes, and reads no file that fails early", async () => {
  const bytes = Uint8Array.from([...PNG, ...new Array(500).fill(7)]);
  const png = new Blob([bytes], { type: "image/png" });
  const described = await describeImage(png);
  assert.equal(described.problem, null);
  assert.deepEqual(described.body, {
    content_type: "image/png",
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("base64"),
  });
  assert.deepEqual(new Uint8Array(described.bytes), bytes);

  // Named .jpg, yet a PNG: sent as what it is.
  assert.equal((await describeImage(new Blob([bytes], { type: "image/jpeg" }))).body.content_type, "image/png");
  // Named .png, yet text.
  assert.deepEqual(await describeImage(new Blob(["not an image"], { type: "image/png" })), { problem: "upload.image_type" });

  let read = 0;
  const unread = (type, size) => ({ type, size, arrayBuffer: async () => (read++, new ArrayBuffer(size)) });
  assert.deepEqual(await describeImage(/** @type {any} */ (unread("text/plain", 10))), { problem: "upload.image_type" });
  assert.deepEqual(await describeImage(/** @type {any} */ (unread("image/png", 1_000_001))), { problem: "upload.image_too_big" });
  assert.deepEqual(await describeImage(/** @type {any} */ (unread("image/gif", 0))), { problem: "upload.image_empty" });
  assert.equal(read, 0);
});

/** A stand-in XMLHttpRequest that records what is sent and answers `status`. */
function fakeXhr(status, { network = false } = {}) {
  const sent = [];
  class Fake {
    constructor() {
      this.headers = {};
      this.upload = { onprogress: null };
      sent.push(this);
    }
    open(method, url) {
      Object.assign(this, { method, url });
    }
    setRequestHeader(k, v) {
      this.headers[k] = v;
    }
    send(body) {
      this.body = body;
      queueMicrotask(() => {
        this.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 });
        this.status = status;
        if (network) this.onerror();
        else this.onload();
      });
    }
  }
  return { Fake, sent };
}

test("the PUT carries the signed headers, not the ones the browser sets, and reports progress", async (t_) => {
  const saved = globalThis.XMLHttpRequest;
  t_.after(() => (globalThis.XMLHttpRequest = saved));
  const { Fake, sent } = fakeXhr(200);
  globalThis.XMLHttpRequest = /** @type {any} */ (Fake);
  const shares = [];
  const body = new ArrayBuffer(10);
  const headers = { "Content-Type": "image/png", "Content-Length": "10", "x-amz-checksum-sha256": "abc=" };
  await putWithProgress("https://bucket.example/key?sig", body, headers, (s) => shares.push(s));
  assert.equal(sent[0].method, "PUT");
  assert.equal(sent[0].url, "https://bucket.example/key?sig");
  assert.deepEqual(sent[0].headers, { "Content-Type": "image/png", "x-amz-checksum-sha256": "abc=" });
  assert.equal(sent[0].body, body);
  assert.deepEqual(shares, [0.5]);

  globalThis.XMLHttpRequest = /** @type {any} */ (fakeXhr(403).Fake);
  await assert.rejects(putWithProgress("https://x", body, {}, () => {}), { message: t("upload.put_failed", { status: 403 }) });
  globalThis.XMLHttpRequest = /** @type {any} */ (fakeXhr(0, { network: true }).Fake);
  await assert.rejects(putWithProgress("https://x", body, {}, () => {}), { message: t("upload.put_network") });
});
