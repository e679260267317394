// Both languages have the same keys; placeholders fill in; dates are Tokyo time, ja-JP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MESSAGES, loadMessages, t, formatDateTime, formatNumber } from "../src/i18n.js";
import ja from "../src/messages/ja.js";
import en from "../src/messages/en.js";

test("Japanese and English have the same keys and placeholders", () => {
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
  for (const key of Object.keys(ja)) {
    const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(names(ja[key]), names(en[key]), key);
  }
});

test("t fills placeholders, falls back to Japanese, then to the key", async () => {
  await loadMessages("en");
  assert.equal(MESSAGES.en, en);
  assert.equal(t("campaign.saved", { rev: 3 }, "en"), "Saved (rev 3)");
  assert.equal(t("campaign.saved", { rev: 3 }, "ja"), "保存しました(rev 3)");
  assert.equal(t("no.such.key", undefined, "en"), "no.such.key");
});

test("dates are shown in Tokyo time and numbers ja-JP", () => {
  assert.equal(formatDateTime("2026-11-30T15:30:00Z"), "2026/12/01 00:30");
  assert.equal(formatNumber(1234567), "1,234,567");
  assert.equal(formatDateTime(null), "—");
});
