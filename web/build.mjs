// Builds the playground that `stockade serve --web DIR` serves:
//
//   node web/build.mjs [OUT]      (OUT: ../build/web from this directory)
//
// writes OUT/index.html, OUT/assets/app.js and OUT/assets/app.css, and
// nothing else: the service serves `/` and `/assets/NAME` from OUT under
// a Content-Security-Policy that allows scripts, styles and connections
// to its own origin only, so the page's code and CSS (xterm's included)
// are bundled here, and nothing is loaded from elsewhere.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, "..", "build", "web"));
const assets = join(out, "assets");
const expected = ["app.css", "app.js"];

await mkdir(assets, { recursive: true });
const result = await build({
  absWorkingDir: here,
  entryPoints: { app: "src/app.js" },
  outdir: assets,
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  // No loader for fonts or images: a CSS url() to a file fails the
  // build rather than adding a file the page would need.
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
});

const written = Object.keys(result.metafile.outputs).map((p) => basename(p)).sort();
if (written.join(" ") !== expected.join(" ")) {
  console.error(`build.mjs: esbuild wrote ${written.join(", ")}; expected ${expected.join(", ")}`);
  process.exit(1);
}
// Last, so that a failed bundle leaves index.html older than its sources
// and make tries again.
await copyFile(join(here, "src", "index.html"), join(out, "index.html"));
