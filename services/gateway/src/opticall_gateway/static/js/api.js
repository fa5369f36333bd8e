// The gateway client: the session's tokens, JSON requests, problem+json errors, token refresh.
//
// Tokens live in sessionStorage (per tab, gone when the tab closes), never in localStorage or
// cookies, so another tab or a later visitor of the machine does not inherit a session.

import { problemMessage } from "./errors.js";

const KEY = "opticall.session";

export class ApiError extends Error {
  /** @param {number} status @param {string} detail @param {any} problem */
  constructor(status, detail, problem = null) {
    super(detail);
    this.status = status;
    this.problem = problem;
  }
}

/** @type {{access_token: string, refresh_token: string, expires_at: number, username?: string, roles?: string[]} | null} */
let session = load();
let refreshing = null;
let refreshTimer = 0;
const listeners = new Set();

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function save(next) {
  session = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  schedule();
  for (const fn of listeners) fn(session);
}

/** Called with the session whenever it changes (null: signed out). */
export function onSession(fn) {
  listeners.add(fn);
}

export function currentSession() {
  return session;
}

export function accessToken() {
  return session ? session.access_token : null;
}

function fromTokens(body, previous = {}) {
  return {
    ...previous,
    access_token: body.access_token,
    refresh_token: body.refresh_token || previous.refresh_token,
    expires_at: Date.now() + (Number(body.expires_in) || 900) * 1000,
  };
}

// Refresh shortly before the access token expires, so the live board's WebSocket reconnects
// and long-open pages keep working without a 401 round trip.
function schedule() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const wait = Math.max(5_000, session.expires_at - Date.now() - 60_000);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), wait);
}

export async function login(username, password) {
  const resp = await fetch("/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!resp.ok) throw await toError(resp);
  const tokens = fromTokens(await resp.json());
  session = tokens;
  let who = { username, roles: [] };
  try {
    who = await request("GET", "/protected");
  } catch {
    // The gateway answers /protected itself; if it cannot, the name typed is good enough.
  }
  save({ ...tokens, username: who.username, roles: who.roles || [] });
  return session;
}

/** Exchange the refresh token for new tokens; one exchange at a time (tokens rotate). */
export function refresh() {
  if (!session) return Promise.reject(new ApiError(401, "signed out"));
  if (refreshing) return refreshing;
  const current = session;
  refreshing = (async () => {
    try {
      const resp = await fetch("/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh_token: current.refresh_token }),
      });
      if (!resp.ok) {
        const err = await toError(resp);
        if (resp.status === 401 || resp.status === 403 || resp.status === 422) save(null);
        throw err;
      }
      save(fromTokens(await resp.json(), current));
      return session;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function logout() {
  const current = session;
  save(null);
  if (!current) return;
  try {
    await fetch("/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh_token }),
    });
  } catch {
    // Signed out locally either way; the refresh token then just expires.
  }
}

async function toError(resp) {
  let problem = null;
  try {
    problem = await resp.json();
  } catch {
    // Not JSON (e.g. a proxy's HTML error page): the status says enough.
  }
  return new ApiError(resp.status, problemMessage(resp.status, problem), problem);
}

/** Build "/path?k=v" skipping empty values. */
export function withQuery(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * One authorised request. `json` is sent as JSON, `body` as is (with `contentType`).
 * A 401 triggers one token refresh and one retry. Returns parsed JSON, text, or a Blob.
 */
export async function request(method, path, { json, body, contentType, query, as } = {}) {
  const url = withQuery(path, query);
  const send = () => {
    const headers = { Accept: as === "text" || as === "blob" ? "*/*" : "application/json" };
    if (session) headers.Authorization = `Bearer ${session.access_token}`;
    let payload = body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    } else if (contentType) {
      headers["Content-Type"] = contentType;
    }
    return fetch(url, { method, headers, body: payload });
  };
  let resp = await send();
  if (resp.status === 401 && session) {
    await refresh();
    resp = await send();
  }
  if (!resp.ok) throw await toError(resp);
  if (as === "blob") return resp.blob();
  if (as === "text") return resp.text();
  if (resp.status === 204) return null;
  const type = resp.headers.get("content-type") || "";
  return type.includes("json") ? resp.json() : resp.text();
}

export const api = {
  get: (path, query, opts = {}) => request("GET", path, { ...opts, query }),
  post: (path, json, opts = {}) => request("POST", path, { ...opts, json }),
  patch: (path, json, opts = {}) => request("PATCH", path, { ...opts, json }),
  del: (path, opts = {}) => request("DELETE", path, opts),
};

/** Follow `next_cursor` pages of a list endpoint; returns every item (bounded by `max`). */
export async function getAll(path, query = {}, max = 5_000) {
  const items = [];
  let cursor = null;
  do {
    const page = await api.get(path, { ...query, cursor });
    const list = Array.isArray(page) ? page : page.items || page.data || [];
    items.push(...list);
    cursor = Array.isArray(page) ? null : page.next_cursor || null;
  } while (cursor && items.length < max);
  return items;
}

schedule();
