// Builds the snippet and the tag into tag/dist with esbuild and reports gzip sizes.
//
//   tag.js            the stable loader URL the snippet points at (served with a short cache)
//   tag.<hash>.js     the same bytes under a content hash (immutable, long cache; SRI-friendly)
//   snippet.min.js    the snippet, with __XSELL_TAG_URL__ left for the site's copy to fill in
//   manifest.json     which hashed file is current; sizes.json the gzip sizes
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";

const out = new URL("./dist/", import.meta.url);
mkdirSync(out, { recursive: true });
for (const name of readdirSync(out)) {
  if (/^tag\.[0-9a-f]{8,}\.js$/.test(name)) rmSync(new URL(name, out));
}

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

const tag = readFileSync(new URL("tag.js", out));
const versioned = `tag.${createHash("sha256").update(tag).digest("hex").slice(0, 12)}.js`;
writeFileSync(new URL(versioned, out), tag);
writeFileSync(
  new URL("manifest.json", out),
  JSON.stringify({ tag: versioned, integrity: "sha384-" + createHash("sha384").update(tag).digest("base64") }, null, 2) +
    "\n",
);

const sizes = {};
for (const name of ["tag.js", "snippet.min.js"]) {
  sizes[name] = gzipSync(readFileSync(new URL(name, out))).length;
}
writeFileSync(new URL("sizes.json", out), JSON.stringify(sizes, null, 2) + "\n");
