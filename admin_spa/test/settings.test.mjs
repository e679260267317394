// The group settings form: document -> form state -> document keeps everything, unknown keys too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromForm, ranksFor, ranksOf, toForm } from "../src/settings_form.js";

const DOC = {
  rank_scales: { group: ["regular", "silver", "gold", "platinum"], brand: ["bronze", "silver", "gold"], hana: ["a", "b"] },
  guards: { hana: { rank_at_least: "gold" }, umi: { ltv_at_least: 5000 } },
  destination_caps: { tabi: [{ metric: "served", period: "day", limit: 20000 }, { period: "week", limit: 9 }] },
  domains: ["cdn.example.jp"],
  two_person_approval: true,
  reciprocity: {
    period: "day",
    timezone: "Asia/Tokyo",
    default: { ratio: 2, allowance: 500 },
    pairs: { "umi>hana": { ratio: 1, allowance: 100 }, "hana>umi": null },
  },
  settlement: { prices: { "hana>tabi": 120 } },
};

test("a document survives the round trip through the form unchanged", () => {
  assert.deepEqual(fromForm(toForm(DOC)), DOC);
  assert.deepEqual(fromForm(toForm({})), {});
});

test("keys the form does not know are kept, at the top and inside sections", () => {
  const form = toForm(DOC);
  assert.deepEqual(form.rest, { settlement: DOC.settlement });
  assert.deepEqual(form.reciprocity.rest, { timezone: "Asia/Tokyo" });
  form.domains.push("img.example.jp");
  const out = fromForm(form);
  assert.deepEqual(out.settlement, DOC.settlement);
  assert.equal(out.reciprocity.timezone, "Asia/Tokyo");
  assert.deepEqual(out.guards.umi, { ltv_at_least: 5000 });
  assert.deepEqual(out.domains, ["cdn.example.jp", "img.example.jp"]);
});

test("an unrestricted pair is null; no default restriction leaves default out", () => {
  const form = toForm(DOC);
  assert.equal(form.reciprocity.pairs.find((p) => p.from === "hana").value, null);
  form.reciprocity.pairs[0].value = null;
  form.reciprocity.hasDefault = false;
  const out = fromForm(form);
  assert.deepEqual(out.reciprocity, { period: "day", timezone: "Asia/Tokyo", pairs: { "umi>hana": null, "hana>umi": null } });
});

test("empty sections are left out; an absent approval flag stays absent", () => {
  const form = toForm(DOC);
  form.domains = [];
  form.caps = [];
  form.guards = [];
  form.scales = [];
  form.reciprocity = toForm({}).reciprocity;
  assert.deepEqual(fromForm(form), { two_person_approval: true, settlement: DOC.settlement });
  assert.equal(toForm({}).approval, undefined);
  const off = toForm({});
  off.approval = false;
  assert.deepEqual(fromForm(off), { two_person_approval: false });
});

test("brand rows become keys; values are passed on as typed for the API to check", () => {
  const form = toForm({});
  form.caps.push({ brand: "umi", caps: [{ metric: "clicks", period: "month", limit: 0 }] });
  form.reciprocity.pairs.push({ from: "tabi", to: "umi", value: { ratio: 0.5, allowance: 10 } });
  form.scales.push({ key: "umi", text: " x,  y ,z, " });
  form.guards.push({ brand: "umi", guard: { rank_at_least: "y" } });
  assert.deepEqual(fromForm(form), {
    destination_caps: { umi: [{ metric: "clicks", period: "month", limit: 0 }] },
    reciprocity: { pairs: { "tabi>umi": { ratio: 0.5, allowance: 10 } } },
    rank_scales: { umi: ["x", "y", "z"] },
    guards: { umi: { rank_at_least: "y" } },
  });
});

test("rank lists split on commas; a guard offers its brand's scale, else the brand or group scale", () => {
  assert.deepEqual(ranksOf("gold、platinum, ,silver"), ["gold", "platinum", "silver"]);
  const form = toForm(DOC);
  assert.deepEqual(ranksFor(form, "hana"), ["a", "b"]);
  assert.deepEqual(ranksFor(form, "umi"), ["bronze", "silver", "gold"]);
  assert.deepEqual(ranksFor(toForm({ rank_scales: { group: ["r"] } }), "umi"), ["r"]);
  assert.deepEqual(ranksFor(toForm({}), "umi"), []);
});

test("the form state is a copy: editing it leaves the document alone", () => {
  const doc = structuredClone(DOC);
  const form = toForm(doc);
  form.caps[0].caps[0].limit = 1;
  form.guards[0].guard.rank_at_least = "silver";
  form.reciprocity.default.ratio = 9;
  assert.deepEqual(doc, DOC);
});

test("rows naming the same pair, scale or guard brand are found before a save would drop one", async () => {
  const { duplicateRows } = await import("../src/settings_form.js");
  const form = toForm({
    reciprocity: { pairs: { "umi>hana": { ratio: 1, allowance: 0 } } },
    rank_scales: { group: ["a", "b"] },
    guards: { hana: { rank_at_least: "gold" } },
  });
  assert.deepEqual(duplicateRows(form), []);
  form.reciprocity.pairs.push({ from: "umi", to: "hana", value: null });
  form.reciprocity.pairs.push({ from: "hana", to: "umi", value: null }); // the other way: a pair of its own
  form.scales.push({ key: "group", text: "x" });
  form.guards.push({ brand: "hana", guard: { ltv_at_least: 1 } });
  form.guards.push({ brand: "hana", guard: {} });
  assert.deepEqual(duplicateRows(form), ["reciprocity.pairs.umi>hana", "rank_scales.group", "guards.hana"]);
});
