// Rebuilds app/static/vendor from the packages pinned in package-lock.json.
//
//   cd frontend && npm ci && npm run vendor
//
// Copies each browser file byte for byte (plus the package's licence) and writes
// app/static/vendor/MANIFEST.json (version and SHA-256 of every file), which a test checks
// against the committed files. Nothing here runs when HEMS runs: the output is committed.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "app", "static", "vendor");

// package -> [source path inside the package, file name under vendor/<package>/]
const FILES = {
  react: [["umd/react.production.min.js", "react.production.min.js"], ["LICENSE", "LICENSE"]],
  "react-dom": [
    ["umd/react-dom.production.min.js", "react-dom.production.min.js"],
    ["LICENSE", "LICENSE"],
  ],
  graphiql: [
    ["graphiql.min.js", "graphiql.min.js"],
    ["graphiql.min.css", "graphiql.min.css"],
    ["LICENSE", "LICENSE"],
  ],
  "@graphiql/plugin-explorer": [
    ["dist/index.umd.js", "index.umd.js"],
    ["dist/style.css", "style.css"],
  ],
  "graphql-ws": [
    ["lib/client.mjs", "client.mjs"],
    ["lib/common.mjs", "common.mjs"],
    ["lib/utils.mjs", "utils.mjs"],
    ["LICENSE.md", "LICENSE.md"],
  ],
  uplot: [
    ["dist/uPlot.esm.js", "uPlot.esm.js"],
    ["dist/uPlot.min.css", "uPlot.min.css"],
    ["LICENSE", "LICENSE"],
  ],
};

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");

rmSync(out, { recursive: true, force: true });
const manifest = {};
for (const [pkg, files] of Object.entries(FILES)) {
  const source = join(modules, pkg);
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  const target = join(out, pkg);
  mkdirSync(target, { recursive: true });
  const hashes = {};
  for (const [from, to] of files) {
    copyFileSync(join(source, from), join(target, to));
    hashes[to] = sha256(join(target, to));
  }
  manifest[pkg] = { version, files: hashes };
}
writeFileSync(join(out, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`vendored ${Object.keys(manifest).length} packages into ${out}`);
