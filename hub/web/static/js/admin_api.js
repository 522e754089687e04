// The settings page's calls: the inbox's `api`, with the API's validation errors turned into one readable line.

import { ApiError } from "./api.js";

const meta = document.querySelector('meta[name="csrf-token"]');
const csrf = meta ? meta.getAttribute("content") : "";

/** FastAPI's 422 lists every problem as {loc, msg}; show them as "conditions.0.value: msg". */
export function reason(detail, fallback) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => {
      const where = Array.isArray(item.loc) ? item.loc.filter((part) => part !== "body").join(".") : "";
      return where ? `${where}: ${item.msg}` : String(item.msg);
    }).join("; ");
  }
  return fallback;
}

export async function call(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  const options = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new ApiError(401, "sign in again");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, reason(data && data.detail, response.statusText));
  return data;
}

/** "返金\n退款, refund" → ["返金", "退款", "refund"]: one per line, or split at commas (also 、 and ，). */
export function words(text) {
  return String(text).split(/[\n,，、]/).map((word) => word.trim()).filter(Boolean);
}
