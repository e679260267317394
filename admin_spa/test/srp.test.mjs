// The SRP client agrees with a server computing S = (A v^u)^b for the same password.
import { test } from "node:test";
import assert from "node:assert/strict";
import { N, g, modPow, padHex, hexToBytes, sha256Hex, hmac, multiplier, clientKeys, passwordKey, timestamp, claimSignature } from "../src/auth/srp.js";

test("padHex is Java's toByteArray hex", () => {
  assert.equal(padHex(20n), "14");
  assert.equal(padHex(236n), "00ec");
  assert.equal(padHex(0xabcn), "0abc");
});

test("the password key matches the server's", async () => {
  const poolName = "AbCdEf123", userId = "user-1", password = "Demo-pass-2026!", salt = "a1b2c3d4e5f60718";
  const identity = await sha256Hex(new TextEncoder().encode(`${poolName}${userId}:${password}`));
  const x = BigInt("0x" + (await sha256Hex(hexToBytes(padHex(BigInt("0x" + salt)) + identity))));
  const v = modPow(g, x, N); // the verifier the pool stores
  const b = 123456789012345678901234567890n;
  const k = await multiplier();
  const B = (k * v + modPow(g, b, N)) % N;
  const { a, A } = clientKeys();
  const key = await passwordKey({ poolName, userId, password, a, A, B, salt });
  const u = BigInt("0x" + (await sha256Hex(hexToBytes(padHex(A) + padHex(B)))));
  const S = modPow((A * modPow(v, u, N)) % N, b, N);
  const prk = await hmac(hexToBytes(padHex(u)), hexToBytes(padHex(S)));
  const info = new Uint8Array([...new TextEncoder().encode("Caldera Derived Key"), 1]);
  const expected = (await hmac(prk, info)).slice(0, 16);
  assert.deepEqual(key, expected);
  const wrong = await passwordKey({ poolName, userId, password: "other", a, A, B, salt });
  assert.notDeepEqual(wrong, expected);
  assert.match(await claimSignature(key, poolName, userId, btoa("secret-block"), timestamp()), /^[A-Za-z0-9+/]+=*$/);
});

test("the timestamp is Cognito's format", () => {
  assert.equal(timestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), "Tue Jan 2 03:04:05 UTC 2024");
});
