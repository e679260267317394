// The tag in a DOM: queue replay, rendering, viewability, clicks, referrals, SPA routes, opt-out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { API, decision, dist, page, settle, token, withTag } from "./dom.mjs";

const STANDARD = `xsell("init", {site: "hana-web", api: "${API}"}); xsell("identify", {customer_id: "C1"}); xsell("page");`;

test("the queue is replayed once: one decide call for the page, even when the tag loads twice", async () => {
  const p = await withTag({ decide: decision() });
  assert.equal(p.decides.length, 1);
  const [call] = p.decides;
  assert.equal(call.url, `${API}/v1/decide`);
  assert.equal(call.init.headers["content-type"], "text/plain;charset=UTF-8");
  assert.equal(call.init.credentials, "omit");
  assert.deepEqual(call.body.customer, { id: "C1" });
  assert.deepEqual(call.body.slots, ["top-banner"]);
  assert.equal(call.body.page.url, "https://shop.example/");
  assert.equal(p.win.xsell.loaded, true);
  assert.equal(p.win.xsell.v, 1);

  p.run((await dist()).tag);
  p.run(`xsell("page");`); // same page view: no second call
  await settle();
  assert.equal(p.decides.length, 1);
  assert.deepEqual(p.consoleCalls, []);
});

test("calls after load run at once, also through a reference to the old stub", async () => {
  const p = await withTag({ decide: decision() }, "window.stub = xsell;");
  assert.equal(p.decides.length, 0);
  p.run(`stub("init", {site: "hana-web", api: "${API}"}); xsell("identify", "signed-token"); stub("page");`);
  await settle();
  assert.equal(p.decides.length, 1);
  assert.deepEqual(p.decides[0].body.customer, { token: "signed-token" });
});

test("a tag that loads while the page is still parsing waits for the slots", async () => {
  const { snippet, tag } = await dist();
  const p = page({ decide: decision() });
  Object.defineProperty(p.win.document, "readyState", { configurable: true, value: "loading" });
  p.run(snippet + STANDARD);
  p.run(tag);
  await settle();
  assert.equal(p.decides.length, 0);
  Object.defineProperty(p.win.document, "readyState", { configurable: true, value: "interactive" });
  p.win.document.dispatchEvent(new p.win.Event("DOMContentLoaded"));
  await settle();
  assert.equal(p.decides.length, 1);
  assert.ok(p.slot().querySelector("a.xsell-creative"));
});

test("nothing is asked without a customer, without slots, or before init", async () => {
  const anonymous = await withTag({}, `xsell("init", {site: "s", api: "${API}"}); xsell("page");`);
  const slotless = await withTag({ body: "<p>no slots</p>" });
  const uninitialised = await withTag({}, `xsell("identify", "t"); xsell("page");`);
  for (const p of [anonymous, slotless, uninitialised]) assert.equal(p.decides.length, 0);
  anonymous.run(`xsell("identify", "late-login");`); // a login after the page call decides then
  await settle();
  assert.equal(anonymous.decides.length, 1);
});

test("a creative is built from DOM nodes: text as text, alt text, a focusable link with the referral token", async () => {
  const p = await withTag({ decide: decision() });
  const link = p.slot().querySelector("a.xsell-creative");
  assert.ok(link);
  const href = new URL(link.href);
  assert.equal(href.origin + href.pathname, "https://tabi.example/");
  assert.equal(href.searchParams.get("from"), "hana");
  assert.equal(href.searchParams.get("xsell_ref"), decision().slots["top-banner"].ref);
  assert.equal(link.querySelector("img").alt, "Tabi Travel");
  assert.equal(link.querySelector(".xsell-title").textContent, "温泉宿10%オフ");
  assert.equal(link.tabIndex, 0);
  assert.equal(p.slot().getAttribute("data-xsell-filled"), "1");
});

test("hostile creatives render as inert text or not at all", async () => {
  const evil = decision();
  const fields = evil.slots["top-banner"].fields;
  fields.title = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>';
  fields.image_url = "http://evil.example/pixel.gif"; // plain http off loopback
  const p = await withTag({ decide: evil });
  const link = p.slot().querySelector("a");
  assert.equal(link.querySelector(".xsell-title").textContent, fields.title);
  assert.equal(p.slot().querySelectorAll("script, img").length, 0);

  for (const bad of ["javascript:window.pwned=1", "data:text/html,<script>1</script>", "//evil.example/x"]) {
    const d = decision();
    d.slots["top-banner"].fields.link_url = bad;
    const q = await withTag({ url: "http://shop.example/", decide: d });
    assert.equal(q.slot().children.length, 0, bad);
  }
  const unknown = decision();
  unknown.slots["top-banner"].template = "html";
  assert.equal((await withTag({ decide: unknown })).slot().children.length, 0);
  assert.equal(p.win.pwned, undefined);
});

test("an impression is sent only after half the slot has been visible for one second", async () => {
  const p = await withTag({ decide: decision() });
  const slot = p.slot();
  p.show(slot, 0.4);
  p.clock.tick(3000);
  p.show(slot, 0.6);
  p.clock.tick(900);
  p.show(slot, 0.2); // scrolled away before the second was up
  p.clock.tick(3000);
  assert.deepEqual(p.events(), []);
  p.show(slot, 0.6);
  p.clock.tick(999);
  assert.deepEqual(p.events(), []);
  p.clock.tick(1 + 500); // viewable, then the batch window
  assert.deepEqual(p.events(), [{ type: "impression", token: "slot-token" }]);
  assert.equal(p.posts[0].via, "beacon");
  assert.equal(p.posts[0].type, "string"); // a string beacon is sent as text/plain
  assert.equal(p.posts[0].url, `${API}/v1/events`);
  assert.equal(p.posts[0].body.site, "hana-web");
  p.show(slot, 1);
  p.clock.tick(5000);
  assert.equal(p.events().length, 1); // once per page view
});

test("a hidden tab does not count as viewed", async () => {
  const p = await withTag({ decide: decision() });
  Object.defineProperty(p.win.document, "visibilityState", { configurable: true, value: "hidden" });
  p.show(p.slot(), 1);
  p.clock.tick(5000);
  assert.deepEqual(p.events(), []);
  Object.defineProperty(p.win.document, "visibilityState", { configurable: true, value: "visible" });
  p.win.document.dispatchEvent(new p.win.Event("visibilitychange"));
  p.clock.tick(1500);
  assert.deepEqual(p.events(), [{ type: "impression", token: "slot-token" }]);
});

test("a click is sent at once, before navigation, and once; fetch keepalive when beacons are refused", async () => {
  for (const beacon of [true, false]) {
    const p = await withTag({ decide: decision(), beacon });
    const link = p.slot().querySelector("a");
    link.addEventListener("click", (e) => e.preventDefault()); // stay on the page
    link.click();
    link.click();
    assert.deepEqual(p.events(), [{ type: "click", token: "slot-token" }]);
    assert.equal(p.posts[0].via, beacon ? "beacon" : "fetch");
    if (!beacon) {
      assert.equal(p.posts[0].init.keepalive, true);
      assert.equal(p.posts[0].init.headers["content-type"], "text/plain;charset=UTF-8");
    }
  }
});

test("holdout exposures are measured like impressions and the slot stays empty", async () => {
  const p = await withTag({ decide: decision({ slots: {}, holdouts: [{ slot: "top-banner", token: "holdout-token" }] }) });
  assert.equal(p.slot().children.length, 0);
  p.show(p.slot(), 1);
  p.clock.tick(1500);
  assert.deepEqual(p.events(), [{ type: "holdout", token: "holdout-token" }]);
});

test("a single-page app route change re-decides once; same-URL history updates do not", async () => {
  const p = await withTag({ decide: decision() });
  p.run(`history.replaceState({scroll: 1}, "", location.href);`);
  p.clock.tick(500);
  assert.equal(p.decides.length, 1);
  p.run(`history.pushState({}, "", "/offers?x=1");`);
  p.clock.tick(50);
  assert.equal(p.decides.length, 1); // waits for the new route to render
  p.clock.tick(100);
  await settle();
  assert.equal(p.decides.length, 2);
  assert.equal(p.decides[1].body.page.url, "https://shop.example/offers?x=1");
  p.run(`history.back();`);
  await new Promise((r) => setTimeout(r, 20)); // jsdom fires popstate asynchronously
  p.clock.tick(200);
  await settle();
  assert.equal(p.decides.length, 3);
});

test("a stale answer for an earlier route is dropped", async () => {
  let answers = 0;
  const p = await withTag({ decide: () => (++answers === 1 ? "hang" : decision({ slots: {} })) });
  p.run(`history.pushState({}, "", "/next");`);
  p.clock.tick(200);
  await settle();
  assert.equal(p.decides.length, 2);
  assert.equal(p.slot().children.length, 0);
});

test("a decide call that does not answer is given up silently after the time-out", async () => {
  const p = await withTag({ decide: "hang" });
  p.clock.tick(1499);
  assert.equal(p.decides[0].init.signal.aborted, false);
  p.clock.tick(1);
  await settle();
  assert.equal(p.decides[0].init.signal.aborted, true);
  assert.equal(p.slot().children.length, 0);
  const failed = await withTag({ decide: null }); // HTTP 500
  assert.equal(failed.slot().children.length, 0);
  assert.deepEqual([...p.consoleCalls, ...failed.consoleCalls], []);
});

test("a landing with xsell_ref keeps the token until it expires, hides it, and converts with it", async () => {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const ref = token({ d: "e".repeat(32), exp });
  const p = await withTag(
    { url: `https://tabi.example/?from=hana&xsell_ref=${ref}#top` },
    `xsell("init", {site: "tabi-web", api: "${API}"});`,
  );
  assert.equal(p.win.location.href, "https://tabi.example/?from=hana#top");
  assert.deepEqual(JSON.parse(p.win.localStorage.getItem("xsell_ref")), { t: ref, e: exp * 1000 });
  p.run(`xsell("convert", {order_id: "T-1", value: 12800, currency: "jpy"});`);
  assert.deepEqual(p.events(), [{ type: "conversion", ref, order_id: "T-1", value: 12800, currency: "JPY" }]);
  assert.equal(p.posts[0].body.site, "tabi-web");
});

test("an expired referral converts nothing and is forgotten", async () => {
  const stale = JSON.stringify({ t: token({ exp: 1 }), e: Date.now() - 1 });
  const p = await withTag({ storage: { xsell_ref: stale } }, `xsell("init", {site: "t", api: "${API}"});`);
  p.run(`xsell("convert", {order_id: "T-2", value: 1, currency: "JPY"});`);
  assert.deepEqual(p.events(), []);
  assert.equal(p.win.localStorage.getItem("xsell_ref"), null);
  const none = await withTag({}, `xsell("init", {site: "t", api: "${API}"}); xsell("convert", {order_id: "x"});`);
  assert.deepEqual(none.posts, []);
});

test("opt-out removes what is shown, stops every call, and persists", async () => {
  const p = await withTag({ decide: decision() });
  p.show(p.slot(), 1);
  p.run(`xsell("optout");`);
  p.clock.tick(5000);
  assert.equal(p.slot().children.length, 0);
  assert.deepEqual(p.events(), []);
  assert.equal(p.win.localStorage.getItem("xsell_optout"), "1");
  p.run(`history.pushState({}, "", "/other"); xsell("convert", {order_id: "1", value: 1, currency: "JPY"});`);
  p.clock.tick(500);
  await settle();
  assert.equal(p.decides.length, 1);
  assert.deepEqual(p.posts, []);

  const next = await withTag({ decide: decision(), storage: { xsell_optout: "1" } });
  assert.equal(next.decides.length, 0);
  next.run(`xsell("optin");`);
  await settle();
  assert.equal(next.decides.length, 1);
  assert.equal(next.win.localStorage.getItem("xsell_optout"), null);
});

test("storage that throws (blocked cookies) does not break the tag", async () => {
  const p = await withTag({ decide: decision() }, "void 0;");
  Object.defineProperty(p.win, "localStorage", {
    get() {
      throw new p.win.DOMException("blocked", "SecurityError");
    },
  });
  p.run(STANDARD + ` xsell("optout"); xsell("convert", {order_id: "1", value: 1, currency: "JPY"});`);
  await settle();
  assert.deepEqual(p.consoleCalls, []);
});

test("a browser without fetch or AbortController shows nothing and reports no error", async () => {
  const { snippet, tag } = await dist();
  const p = page({ decide: decision() });
  p.run("delete window.AbortController; window.fetch = undefined;");
  p.run(snippet + STANDARD);
  p.run(tag);
  p.run(`history.pushState({}, "", "/next"); xsell("convert", {order_id: "1", value: 1, currency: "JPY"});`);
  p.clock.tick(2000);
  await settle();
  assert.equal(p.slot().children.length, 0);
  assert.deepEqual(p.consoleCalls, []);
});

test("the DOM tests see console output and uncaught errors", async () => {
  const p = page();
  // (A timer that throws fails the test outright: the hand-driven clock runs it in the test.)
  p.run(`console.warn("seen"); addEventListener("x", () => { throw new Error("uncaught"); });`);
  p.run(`dispatchEvent(new Event("x"));`);
  assert.deepEqual(
    p.consoleCalls.map(([level]) => level),
    ["warn", "jsdomError"],
  );
});

test("a page opened with xsell_preview sends that token to decide, on later routes too; a page without it sends none", async () => {
  const plain = await withTag({ decide: decision() });
  assert.equal("preview" in plain.decides[0].body, false);

  const p = await withTag({ url: "https://shop.example/?xsell_preview=pv.token", decide: decision() });
  assert.equal(p.decides[0].body.preview, "pv.token");
  assert.ok(p.slot().querySelector("a.xsell-creative"));
  p.run(`history.pushState(null, "", "/other");`);
  p.clock.tick(100);
  await settle();
  assert.equal(p.decides.length, 2);
  assert.equal(p.decides[1].body.preview, "pv.token");

  const tooLong = await withTag({ url: `https://shop.example/?xsell_preview=${"x".repeat(4097)}`, decide: decision() });
  assert.equal("preview" in tooLong.decides[0].body, false);
  assert.deepEqual(p.consoleCalls, []);
});

test("a banner is contained: texts break anywhere and are clamped, the link and the slot clip", async () => {
  const long = decision();
  const fields = long.slots["top-banner"].fields;
  fields.title = "題".repeat(2048);
  fields.body = "x".repeat(2048);
  fields.cta = "y".repeat(2048);
  const p = await withTag({ decide: long });
  const slot = p.slot();
  const link = slot.querySelector("a.xsell-creative");
  assert.equal(slot.style.overflow, "hidden");
  assert.equal(link.style.overflow, "hidden");
  assert.equal(link.style.maxWidth, "100%");
  for (const [cls, lines] of [["title", "2"], ["body", "3"], ["cta", "1"]]) {
    const node = link.querySelector(`.xsell-${cls}`);
    assert.equal(node.textContent.length, 2048, cls); // the text itself is not cut: CSS clamps it
    assert.equal(node.style.getPropertyValue("overflow-wrap"), "anywhere", cls);
    assert.equal(node.style.getPropertyValue("-webkit-line-clamp"), lines, cls);
    assert.equal(node.style.overflow, "hidden", cls);
  }
  p.run(`xsell("optout");`); // an emptied slot is the site's again
  assert.equal(slot.children.length, 0);
  assert.equal(slot.style.overflow, "");
});
