// Stylesheets of libraries that only some pages load (e.g. the timeline's), added once.

const added = new Set();

export function ensureCss(href) {
  if (added.has(href) || document.querySelector(`link[href="${href}"]`)) return;
  added.add(href);
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href }));
}
