// Vendor the third-party files: copy them from node_modules into the folders that serve them.
// The dashboard's own modules live in the gateway's static folder already (one copy, served as
// they are: no bundler), so the only build step is refreshing these files after an upgrade.
//
//   uPlot (MIT)                   charts                      → static/vendor/
//   vis-timeline (Apache-2.0/MIT) the schedule timeline       → static/vendor/ (its standalone
//                                 ESM build, which bundles moment, hammer.js, vis-data, ...:
//                                 their licences go with it)
//   axe-core (MPL-2.0)            accessibility checks, tests → tests/browser/vendor/ (never
//                                 served: only the browser tests inject it)
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(web, "../..");
const vendor = join(root, "services/gateway/src/opticall_gateway/static/vendor");
const testVendor = join(root, "tests/browser/vendor");
const mod = (name) => join(web, "node_modules", name);
const version = (name) => JSON.parse(readFileSync(join(mod(name), "package.json"), "utf8")).version;

for (const name of ["uplot", "vis-timeline", "axe-core"]) {
  if (!existsSync(join(mod(name), "package.json"))) {
    console.error(`${name} is missing: run \`npm ci\` in tools/dashboard/ first`);
    process.exit(1);
  }
}
mkdirSync(vendor, { recursive: true });
mkdirSync(testVendor, { recursive: true });

cpSync(join(mod("uplot"), "dist/uPlot.esm.js"), join(vendor, "uPlot.esm.js"));
cpSync(join(mod("uplot"), "dist/uPlot.min.css"), join(vendor, "uPlot.min.css"));
cpSync(join(mod("uplot"), "LICENSE"), join(vendor, "uPlot.LICENSE"));

const vis = mod("vis-timeline");
cpSync(join(vis, "standalone/esm/vis-timeline-graph2d.min.js"), join(vendor, "vis-timeline.esm.min.js"));
cpSync(join(vis, "styles/vis-timeline-graph2d.min.css"), join(vendor, "vis-timeline.min.css"));
// The standalone build carries these packages inside it: each one's licence, in one file.
const bundled = ["vis-timeline", "vis-data", "vis-util", "moment", "@egjs/hammerjs",
  "propagating-hammerjs", "keycharm", "component-emitter", "uuid", "xss", "cssfilter"];
const licenceOf = (name) => {
  for (const f of ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENSE-MIT", "LICENSE.MIT.txt"]) {
    if (existsSync(join(mod(name), f))) return readFileSync(join(mod(name), f), "utf8");
  }
  throw new Error(`no licence file in ${name}`);
};
writeFileSync(join(vendor, "vis-timeline.LICENSES.txt"), bundled.map((name) =>
  `==== ${name} ${version(name)} ====\n\n${licenceOf(name).trim()}\n`).join("\n"));
if (existsSync(join(vis, "LICENSE.Apache-2.0.txt"))) {
  cpSync(join(vis, "LICENSE.Apache-2.0.txt"), join(vendor, "vis-timeline.LICENSE-Apache-2.0.txt"));
}

cpSync(join(mod("axe-core"), "axe.min.js"), join(testVendor, "axe.min.js"));
cpSync(join(mod("axe-core"), "LICENSE"), join(testVendor, "axe-core.LICENSE"));

const note = "copied from npm by `make web` (tools/dashboard/scripts/build.mjs); do not edit.";
writeFileSync(join(vendor, "VERSION.txt"),
  `uPlot ${version("uplot")}, vis-timeline ${version("vis-timeline")}: ${note}\n`);
writeFileSync(join(testVendor, "VERSION.txt"), `axe-core ${version("axe-core")}: ${note}\n`);
console.log(`vendored uPlot ${version("uplot")} and vis-timeline ${version("vis-timeline")} into ${vendor}`);
console.log(`vendored axe-core ${version("axe-core")} into ${testVendor}`);
