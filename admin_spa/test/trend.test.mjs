// The referral trend sums clicks per brand and Tokyo day: sent by the source, received by the destination.
import { test } from "node:test";
import assert from "node:assert/strict";
import { series, tokyoDays } from "../src/referrals.js";

test("the last days end on today's date in Tokyo", () => {
  // 2026-11-30 16:00 UTC is already 2026-12-01 in Tokyo
  assert.deepEqual(tokyoDays(3, new Date("2026-11-30T16:00:00Z")), ["2026-11-29", "2026-11-30", "2026-12-01"]);
});

test("clicks count as sent for the source brand and received for the destination", () => {
  const days = ["2026-11-29", "2026-11-30"];
  const rows = [
    { day: "2026-11-29", source_brand: "hana", destination_brand: "tabi", clicks: 3 },
    { day: "2026-11-30", source_brand: "hana", destination_brand: "tabi", clicks: 2 },
    { day: "2026-11-30", source_brand: "tabi", destination_brand: "hana", clicks: 5 },
    { day: "2026-10-01", source_brand: "umi", destination_brand: "hana", clicks: 9 },
  ];
  assert.deepEqual(series(rows, days), {
    hana: { sent: [3, 2], received: [0, 5] },
    tabi: { sent: [0, 5], received: [3, 2] },
  });
});

test("home's today card counts only today's clicks, per brand, busiest first", async () => {
  const { todayByBrand } = await import("../src/screens/home.js");
  const rows = [
    { day: "2026-12-01", source_brand: "hana", destination_brand: "tabi", clicks: 3 },
    { day: "2026-12-01", source_brand: "umi", destination_brand: "hana", clicks: 5 },
    { day: "2026-11-30", source_brand: "tabi", destination_brand: "umi", clicks: 40 }, // yesterday
    { day: "2026-12-01", source_brand: "tabi", destination_brand: null, clicks: 0 }, // a request row
    { day: "2026-12-01", source_brand: "sora", destination_brand: "umi", clicks: 0 }, // nothing sent
  ];
  assert.deepEqual(todayByBrand(rows, "2026-12-01"), [
    { brand: "hana", sent: 3, received: 5 },
    { brand: "umi", sent: 5, received: 0 },
    { brand: "tabi", sent: 0, received: 3 },
  ]);
  assert.deepEqual(todayByBrand([], "2026-12-01"), []);
});
