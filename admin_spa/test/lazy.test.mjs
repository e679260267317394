// lazyScreen: a screen fetched on first use shows the loading notice, then itself; a chunk that
// cannot be fetched shows the error notice, and the next visit asks for it again.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url); // jsdom is CommonJS
const { JSDOM } = require("jsdom");

let render, html, act, lazyScreen;

before(async () => {
  const dom = new JSDOM("<!doctype html><div id=root></div>", { url: "https://admin.example/admin/" });
  for (const name of ["window", "document", "Node", "Element", "HTMLElement", "Event", "sessionStorage", "localStorage"]) {
    globalThis[name] = dom.window[name];
  }
  ({ render } = await import("preact"));
  ({ act } = await import("preact/test-utils"));
  ({ html } = await import("../src/html.js"));
  ({ lazyScreen } = await import("../src/components.js"));
});

/** A load function that resolves or rejects when the test says, counting its calls. */
function deferredLoad() {
  const calls = [];
  const load = () =>
    new Promise((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { load, calls };
}

/** Let every promise settle (the chunk's, then the screen's own). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const root = () => document.getElementById("root");
const state = () => root().querySelector("[data-state]")?.getAttribute("data-state") ?? null;

test("the loading notice until the chunk is there, then the screen with its props, at once next time", async () => {
  const { load, calls } = deferredLoad();
  const Screen = lazyScreen(load);
  const Real = ({ id }) => html`<p data-state="ready" data-id=${id}>screen ${id}</p>`;

  await act(() => render(html`<${Screen} id="c1" />`, root()));
  assert.equal(state(), "loading");
  assert.equal(calls.length, 1);

  await act(async () => {
    calls[0].resolve(Real);
    await settle();
  });
  assert.equal(state(), "ready");
  assert.equal(root().querySelector("[data-id]").getAttribute("data-id"), "c1");

  await act(() => render(null, root()));
  await act(() => render(html`<${Screen} id="c2" />`, root()));
  assert.equal(state(), "ready"); // no loading notice in between
  assert.equal(root().querySelector("[data-id]").getAttribute("data-id"), "c2");
  assert.equal(calls.length, 1); // fetched once
  await act(() => render(null, root()));
});

test("a chunk that cannot be fetched is an error with a retry, and the next visit fetches again", async () => {
  const { load, calls } = deferredLoad();
  const Screen = lazyScreen(load);

  await act(() => render(html`<${Screen} />`, root()));
  await act(async () => {
    calls[0].reject(new TypeError("Failed to fetch dynamically imported module"));
    await settle();
  });
  assert.equal(state(), "error");
  assert.equal(root().querySelector("[data-state=error]").getAttribute("data-kind"), "network");
  assert.ok(root().querySelector("[data-state=error] button"), "a retry button");

  await act(() => render(null, root()));
  await act(() => render(html`<${Screen} />`, root()));
  assert.equal(state(), "loading");
  assert.equal(calls.length, 2);
  await act(async () => {
    calls[1].resolve(() => html`<p data-state="ready">ok</p>`);
    await settle();
  });
  assert.equal(state(), "ready");
  await act(() => render(null, root()));
});

test("a chunk that arrives after its screen was left is kept: the next visit shows the screen at once", async () => {
  const { load, calls } = deferredLoad();
  const Screen = lazyScreen(load);
  await act(() => render(html`<${Screen} />`, root()));
  await act(() => render(html`<p data-state="empty">elsewhere</p>`, root()));
  await act(async () => {
    calls[0].resolve(() => html`<p data-state="ready">late</p>`);
    await settle();
  });
  assert.equal(state(), "empty"); // the page moved on: nothing of the old screen shows
  await act(() => render(html`<${Screen} />`, root()));
  assert.equal(state(), "ready");
  assert.equal(calls.length, 1);
  await act(() => render(null, root()));
});
