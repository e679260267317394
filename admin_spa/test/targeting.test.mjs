// The builder's model round-trips every documented targeting example exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fromJson, toJson, update, withValueText, valueText, opsFor, fieldKind } from "../src/targeting.js";

const docs = readFileSync(new URL("../../docs/targeting.md", import.meta.url), "utf8");
const examples = [...docs.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1])).filter((d) => "all" in d || "any" in d);

test("every example of docs/targeting.md round-trips", () => {
  assert.ok(examples.length >= 5);
  for (const doc of examples) assert.deepEqual(toJson(fromJson(doc)), doc);
});

test("not, exists without value, nested groups and empty targeting round-trip", () => {
  const doc = { any: [{ not: { not: { field: "brands.tabi", op: "exists" } } }, { all: [{ field: "device", op: "in", value: ["mobile", "tablet"] }] }] };
  assert.deepEqual(toJson(fromJson(doc)), doc);
  assert.equal(toJson(fromJson(null)), null);
  assert.equal(fromJson({}), null);
  assert.throws(() => fromJson({ all: [], any: [] }));
});

test("editing values keeps their kinds", () => {
  const rule = { type: "rule", field: "visit_count", op: "ge", value: 3, hasValue: true };
  assert.deepEqual(withValueText(rule, "5").value, 5);
  assert.deepEqual(withValueText({ ...rule, field: "attributes.prefecture", op: "in" }, "東京都, 大阪府").value, ["東京都", "大阪府"]);
  assert.deepEqual(withValueText({ ...rule, field: "first_visit", op: "eq" }, "true").value, true);
  assert.equal(withValueText({ ...rule, field: "brands.tabi", op: "exists" }, "").hasValue, false);
  assert.equal(valueText({ ...rule, value: ["a", "b"] }), "a, b");
  assert.deepEqual(opsFor("device"), ["eq", "ne", "in", "not_in", "exists"]);
  assert.equal(fieldKind("brands.hana.rank"), "rank");
});

test("update replaces and removes nodes by path", () => {
  const model = fromJson({ all: [{ field: "device", op: "eq", value: "mobile" }, { not: { field: "first_visit", op: "eq", value: true } }] });
  const removed = update(model, [0], () => null);
  assert.deepEqual(toJson(removed), { all: [{ not: { field: "first_visit", op: "eq", value: true } }] });
  const changed = update(model, [1, "child"], (n) => ({ ...n, value: false }));
  assert.equal(toJson(changed).all[1].not.value, false);
});
