// Entry point: sign-in, the hash router (#/board, #/schedule, ...) and the page chrome.

import { currentSession, login, logout, onSession } from "./api.js";
import { busy } from "./dom.js";
import * as agent from "./views/agent.js";
import * as board from "./views/board.js";
import * as forecasts from "./views/forecasts.js";
import * as reports from "./views/reports.js";
import * as schedule from "./views/schedule.js";
import * as staffing from "./views/staffing.js";

const VIEWS = { me: agent, board, schedule, forecasts, staffing, reports };
const TITLES = {
  me: "My schedule",
  board: "Live board",
  schedule: "Schedule",
  forecasts: "Forecasts",
  staffing: "Staffing",
  reports: "Reports",
};

const $ = (id) => document.getElementById(id);
let active = null; // { name, view, cleanup }

function showLogin() {
  unmount();
  $("app").hidden = true;
  $("login-view").hidden = false;
  document.title = "Sign in · OptiCall";
  $("login-username").focus();
}

function showApp() {
  const s = currentSession();
  $("login-view").hidden = true;
  $("app").hidden = false;
  $("user-name").textContent = s && s.username ? s.username : "";
  $("user-name").title = s && s.roles ? `Roles: ${s.roles.join(", ")}` : "";
  route();
}

// Supervisors and admins see every view (and their own schedule when linked to an agent);
// an agent sees only theirs, so no page of theirs calls a supervisor-only route.
function allowedViews() {
  const s = currentSession();
  const roles = (s && s.roles) || [];
  const staff = roles.includes("supervisor") || roles.includes("admin");
  const linked = Boolean(agent.ownAgentId());
  return Object.keys(VIEWS).filter((v) => (v === "me" ? linked || !staff : staff));
}

function unmount() {
  if (active && typeof active.cleanup === "function") active.cleanup();
  active = null;
}

function route() {
  if (!currentSession()) return showLogin();
  const allowed = allowedViews();
  const fallback = allowed.includes("board") ? "board" : allowed[0];
  const name = (location.hash.replace(/^#\/?/, "").split(/[/?]/)[0] || fallback).toLowerCase();
  const key = allowed.includes(name) ? name : fallback;
  if (active && active.name === key) return;
  unmount();
  for (const a of document.querySelectorAll(".nav a")) {
    a.parentElement.hidden = !allowed.includes(a.dataset.view);
    if (a.dataset.view === key) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${TITLES[key]} · OptiCall`;
  const main = $("main");
  main.replaceChildren();
  main.dataset.view = key;
  const cleanup = VIEWS[key].mount(main);
  active = { name: key, cleanup };
}

function init() {
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const button = ev.submitter || $("login-form").querySelector("button");
    busy(button, async () => {
      try {
        await login($("login-username").value.trim(), $("login-password").value);
      } catch (err) {
        $("login-password").value = "";
        throw err.status === 401 ? new Error("Wrong username or password.") : err;
      }
    }, $("login-error"));
  });
  $("logout").addEventListener("click", () => logout());
  window.addEventListener("hashchange", route);
  onSession((s) => {
    if (s && $("app").hidden) showApp();
    else if (!s) showLogin();
    else $("user-name").textContent = s.username || "";
  });
  if (currentSession()) showApp();
  else showLogin();
}

init();
