// Builds the admin SPA into admin_spa/dist with esbuild:
//
//   index.html       the shell: loads boot, app.css and app, no inline script (the CloudFront CSP
//                    forbids it); the chunks app imports are named in <link rel=modulepreload>, so
//                    the browser fetches them alongside app instead of after it
//   boot-<hash>.js   tiny, run first: starts config.json and the first screen's API reads
//                    (src/boot.js). A classic script (an IIFE), first in <head>: as a module it
//                    waited for the stylesheet, and could run after app.js
//   app-<hash>.js    the shell, sign-in, home and the lists (ES module, src/main.js)
//   chunk-<hash>.js  the screens fetched the first time they are shown (app.js `lazyScreen`), and
//                    the code app shares with them
//   app.css          every style, none inline
//   sizes.json       gzip bytes of every file, and `initial`: what loads before sign-in
//
// Every script name carries a hash of its content: a tab opened before a deploy never mixes its
// own chunks with the new ones (the Delivery stack keeps old scripts and lets browsers cache them
// for good; should one be gone, retrying the screen reloads the page).
// The creative preview imports tag/src/render.ts: the real tag renderer, bundled in.
import { build } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { basename } from "node:path";
import { gzipSync } from "node:zlib";

const here = (p) => new URL(p, import.meta.url).pathname;
const out = here("./dist/");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: here("./src/main.js") },
  outdir: out,
  bundle: true,
  minify: true,
  splitting: true,
  format: "esm",
  target: ["es2022"],
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  sourcemap: false,
  metafile: true,
});

// boot.js on its own, not a module: its exports (for the tests) go, its last lines set
// globalThis.xsellBoot.
const bootResult = await build({
  entryPoints: { boot: here("./src/boot.js") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022"],
  entryNames: "[name]-[hash]",
  legalComments: "none",
  sourcemap: false,
  metafile: true,
});

const outputs = result.metafile.outputs;
/** The output file of an entry point (by its `entryPoints` key). */
const entry = (name) => {
  const found = Object.keys(outputs).find((file) => outputs[file].entryPoint === `admin_spa/src/${name}`);
  if (!found) throw new Error(`esbuild wrote no output for src/${name}`);
  return found;
};
/** `file` and every file it imports statically, transitively: what loads with it. */
const staticClosure = (file, seen = new Set()) => {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imported of outputs[file].imports) {
    if (imported.kind === "import-statement" && !imported.external) staticClosure(imported.path, seen);
  }
  return seen;
};
const app = entry("main.js");
const [boot, bootOutput] = Object.entries(bootResult.metafile.outputs).find(([file]) => file.endsWith(".js")) || [];
if (!boot) throw new Error("esbuild wrote no output for src/boot.js");
if (Object.keys(bootOutput.inputs).length !== 1) throw new Error("boot.js must import nothing: it runs alone, first");
if (!readFileSync(out + basename(boot), "utf8").includes("xsellBoot")) throw new Error("the classic boot.js no longer sets xsellBoot");
const preloads = [...staticClosure(app)].filter((file) => file !== app).map((file) => basename(file));
// One chunk beside app.js: each further one is a request more before the first screen shows
// (src/preloaded.js says how they come about, and how to fold them back in).
if (preloads.length > 1) {
  throw new Error(`app.js loads ${preloads.length} chunks (${preloads.join(", ")}): a lazily loaded screen that shares a module with app.js must import src/preloaded.js, and the module be named there`);
}

const template = readFileSync(here("./src/index.html"), "utf8");
const scripts = '<script src="boot.js"></script>\n<link rel="stylesheet" href="app.css">\n<script type="module" src="app.js"></script>\n';
if (!template.includes(scripts)) throw new Error("src/index.html no longer loads boot.js, then app.css, then app.js");
const index = template.replace(
  scripts,
  `<script src="${basename(boot)}"></script>\n<link rel="stylesheet" href="app.css">\n<script type="module" src="${basename(app)}"></script>\n` +
    preloads.map((file) => `<link rel="modulepreload" href="${file}">\n`).join(""),
);
writeFileSync(out + "index.html", index);
copyFileSync(here("./src/app.css"), out + "app.css");

const gz = (name) => gzipSync(readFileSync(out + name), { level: 9 }).length;
const sizes = {};
for (const name of readdirSync(out)) {
  if (/\.(js|css|html)$/.test(name)) sizes[name] = gz(name);
}
const initial = ["app.css", basename(boot), basename(app), ...preloads];
sizes.initial = initial.reduce((sum, name) => sum + sizes[name], 0);
writeFileSync(out + "sizes.json", JSON.stringify(sizes, null, 2) + "\n");
