// The journeys pages' API calls: the shared fetch wrapper, plus one that keeps a refusal's whole body (a 422
// from publish or validate carries `problems` next to `detail`).

import { call } from "./admin_api.js";

export { call };

const meta = document.querySelector('meta[name="csrf-token"]');
const csrf = meta ? meta.getAttribute("content") : "";

/** POST `body` to `path`: {ok, status, data} with the answer's JSON whatever its status. */
export async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body || {}),
  });
  if (response.status === 401) location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  const data = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}

/** The problems a validate or publish answer lists ({node_id, code, message}). */
export function problemsIn(data) {
  if (data && Array.isArray(data.problems)) return data.problems;
  if (data && data.detail && Array.isArray(data.detail.problems)) return data.detail.problems;
  return [];
}
