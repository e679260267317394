// The volume screen shows a counter's period as a date, not as the counter's key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { periodText } from "../src/screens/volume.js";

test("period keys read as dates, months and ISO weeks", () => {
  assert.equal(periodText("d2026-12-01"), "2026/12/01");
  assert.equal(periodText("m2026-12"), "2026/12");
  assert.equal(periodText("w2026-W48"), "2026-W48");
  assert.equal(periodText("total"), "");
  assert.equal(periodText("d2026-1-1"), "d2026-1-1"); // not a key the API makes: shown as it is
});
