// API errors become messages at the form field they name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, errorAt, errorKind, fieldErrors, fieldPath, query } from "../src/api.js";

test("fieldPath drops the document kind and a publish prefix", () => {
  assert.equal(fieldPath("campaign.caps[0].period"), "caps[0].period");
  assert.equal(fieldPath("creative.fields.link_url"), "fields.link_url");
  assert.equal(fieldPath("campaign/x:campaign.targeting.all[1].op"), "targeting.all[1].op");
  assert.equal(fieldPath("partner"), "partner");
  assert.equal(fieldPath(null), "");
});

test("a 400 maps to its field; anything else to the form", () => {
  const bad = new ApiError(400, { error: "invalid_request", message: "must be one of day, week", field: "campaign.caps[0].period" });
  assert.deepEqual(fieldErrors(bad), { "caps[0].period": "must be one of day, week" });
  assert.deepEqual(fieldErrors(new ApiError(403, { error: "forbidden", message: "not yours" })), { "": "not yours" });
  assert.deepEqual(fieldErrors(new Error("boom")), { "": "boom" });
  const conflict = new ApiError(409, { error: "conflict", message: "someone saved", current: { rev: 3 } });
  assert.equal(conflict.current.rev, 3);
  assert.equal(errorKind(conflict), "conflict");
  assert.equal(errorKind(new ApiError(500, {})), "server");
  assert.equal(errorKind(new ApiError(403, {})), "forbidden");
});

test("errorAt finds a field's own message, or a deeper one when asked", () => {
  const errors = { "caps[0].period": "bad period" };
  assert.equal(errorAt(errors, "caps[0].period"), "bad period");
  assert.equal(errorAt(errors, "caps"), null);
  assert.equal(errorAt(errors, "caps", true), "bad period");
});

test("query leaves out empty values", () => {
  assert.equal(query({ since: "2026-11-01", user: "", brand: null }), "?since=2026-11-01");
  assert.equal(query({}), "");
});
