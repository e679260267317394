// The snippet: a command queue that is safe to paste twice and loads the tag once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dist, page, settle, TAG_URL, API } from "./dom.mjs";

test("calls made before the tag loads are queued in order, and the tag is requested once, async", async () => {
  const { snippet } = await dist();
  const p = page();
  p.run(snippet);
  p.run(`xsell("init", {site: "s", api: "${API}"}); xsell("identify", "tok"); xsell("page", {category: "top"});`);
  const queued = JSON.parse(JSON.stringify(Array.from(p.win.xsell.q, (args) => Array.from(args))));
  assert.deepEqual(queued, [
    ["init", { site: "s", api: API }],
    ["identify", "tok"],
    ["page", { category: "top" }],
  ]);
  const scripts = p.win.document.querySelectorAll("script");
  assert.equal(scripts.length, 1);
  assert.equal(scripts[0].src, TAG_URL);
  assert.equal(scripts[0].async, true);
  assert.equal(p.win.xsell.v, 1);
});

test("a second copy of the snippet keeps the first stub, its queue and the single script tag", async () => {
  const { snippet } = await dist();
  const p = page();
  p.run(snippet);
  const first = p.win.xsell;
  p.run(`xsell("init", {site: "s"});`);
  p.run(snippet);
  p.run(`xsell("page");`);
  assert.equal(p.win.xsell, first);
  assert.deepEqual(Array.from(p.win.xsell.q, (args) => args[0]), ["init", "page"]);
  assert.equal(p.win.document.querySelectorAll("script").length, 1);
});

test("a copy pasted after the tag has loaded changes nothing", async () => {
  const { snippet, tag } = await dist();
  const p = page();
  p.run(snippet);
  p.run(tag);
  const loaded = p.win.xsell;
  p.run(snippet);
  await settle();
  assert.equal(p.win.xsell, loaded);
  assert.equal(p.win.xsell.loaded, true);
  assert.equal(p.win.document.querySelectorAll("script").length, 1);
  assert.deepEqual(p.consoleCalls, []);
});
