// Builds the snippet and the tag into tag/dist with esbuild and reports gzip sizes.
import { build } from "esbuild";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const out = new URL("./dist/", import.meta.url);
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [new URL("./src/tag.ts", import.meta.url).pathname],
  outfile: new URL("tag.js", out).pathname,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2019"],
  legalComments: "none",
});
await build({
  entryPoints: [new URL("./src/snippet.js", import.meta.url).pathname],
  outfile: new URL("snippet.min.js", out).pathname,
  minify: true,
  target: ["es5"],
  legalComments: "none",
});

const sizes = {};
for (const name of ["tag.js", "snippet.min.js"]) {
  sizes[name] = gzipSync(readFileSync(new URL(name, out))).length;
}
writeFileSync(new URL("sizes.json", out), JSON.stringify(sizes, null, 2) + "\n");
