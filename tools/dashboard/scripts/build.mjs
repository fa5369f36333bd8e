// Vendor the chart library: copy uPlot from node_modules into the gateway's static folder.
// The dashboard's own modules live in that folder already (one copy, served as they are:
// no bundler), so the only build step is refreshing this third-party file after an upgrade.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(web, "../../services/gateway/src/opticall_gateway/static");
const uplot = join(web, "node_modules/uplot");

if (!existsSync(join(uplot, "dist/uPlot.esm.js"))) {
  console.error("uplot is missing: run `npm ci` in tools/dashboard/ first");
  process.exit(1);
}

mkdirSync(join(out, "vendor"), { recursive: true });
cpSync(join(uplot, "dist/uPlot.esm.js"), join(out, "vendor/uPlot.esm.js"));
cpSync(join(uplot, "dist/uPlot.min.css"), join(out, "vendor/uPlot.min.css"));
cpSync(join(uplot, "LICENSE"), join(out, "vendor/uPlot.LICENSE"));
const version = JSON.parse(readFileSync(join(uplot, "package.json"), "utf8")).version;
writeFileSync(
  join(out, "vendor/VERSION.txt"),
  `uPlot ${version}, copied from npm by \`make web\` (tools/dashboard/scripts/build.mjs); do not edit.\n`,
);
console.log(`uPlot ${version} vendored into ${out}/vendor`);
