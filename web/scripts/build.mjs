// Build the dashboard: copy web/src and the chart library from node_modules into the
// gateway's static folder. No bundler: the browser loads the ES modules as they are.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(web, "../services/gateway/src/opticall_gateway/static");
const uplot = join(web, "node_modules/uplot");

if (!existsSync(join(uplot, "dist/uPlot.esm.js"))) {
  console.error("uplot is missing: run `npm ci` in web/ first");
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "vendor"), { recursive: true });
cpSync(join(web, "src"), out, { recursive: true });
cpSync(join(uplot, "dist/uPlot.esm.js"), join(out, "vendor/uPlot.esm.js"));
cpSync(join(uplot, "dist/uPlot.min.css"), join(out, "vendor/uPlot.min.css"));
cpSync(join(uplot, "LICENSE"), join(out, "vendor/uPlot.LICENSE"));
const version = JSON.parse(readFileSync(join(uplot, "package.json"), "utf8")).version;
writeFileSync(
  join(out, "BUILD.txt"),
  `Built by \`make web\` from web/ (npm run build); do not edit here.\nuPlot ${version}\n`,
);
console.log(`dashboard built into ${out}`);
