// Builds the admin SPA into admin_spa/dist with esbuild:
//
//   index.html   the shell: loads app.css, boot.js and app.js, no inline script (the CloudFront CSP forbids it)
//   boot.js      tiny, run first: starts config.json and the first screen's API reads (src/boot.js)
//   app.js       the app (ES module; screens that are rarely used may come as chunk-*.js)
//   app.css      every style, none inline
//   sizes.json   gzip bytes of what loads before sign-in
//
// The creative preview imports tag/src/render.ts: the real tag renderer, bundled in.
import { build } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const here = (p) => new URL(p, import.meta.url).pathname;
const out = here("./dist/");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: here("./src/main.js"), boot: here("./src/boot.js") },
  outdir: out,
  bundle: true,
  minify: true,
  splitting: true,
  format: "esm",
  target: ["es2022"],
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  sourcemap: false,
});
copyFileSync(here("./src/app.css"), out + "app.css");
copyFileSync(here("./src/index.html"), out + "index.html");

const sizes = {};
for (const name of readdirSync(out)) {
  if (/\.(js|css|html)$/.test(name)) sizes[name] = gzipSync(readFileSync(out + name), { level: 9 }).length;
}
writeFileSync(out + "sizes.json", JSON.stringify(sizes, null, 2) + "\n");
