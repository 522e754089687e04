// The inbox's calls to Hub's API: the session cookie authenticates, the CSRF token proves the page is Hub's.
// A refusal is shown in the agent's language: by its stable code (the X-Hub-Error header: opted_out,
// window_closed, catalog's cart_empty...) when some package has the string `err_<code>`, else by its HTTP
// status (a 4xx reason without a code is shown inside a translated frame).

import { has, t } from "./i18n.js";

const meta = document.querySelector('meta[name="csrf-token"]');
const csrf = meta ? meta.getAttribute("content") : "";

/** The translated sentence for a refusal: its code's, or its status's (422 validation lists the fields). */
export function translated(status, code, detail) {
  if (code && /^[a-z_]+$/.test(code) && has(`err_${code}`)) return t(`err_${code}`);
  if (status === 422 && Array.isArray(detail)) {
    const fields = detail.map((item) => (item && Array.isArray(item.loc) ? item.loc.filter((part) => part !== "body").join(".") : ""))
      .filter(Boolean);
    return fields.length ? t("err_fields", { fields: [...new Set(fields)].join(", ") }) : t("err_422");
  }
  if ([400, 409, 422].includes(status) && typeof detail === "string" && detail) {
    return t("err_refused_reason", { reason: detail });  // a reason without a code yet: framed, kept whole
  }
  if (status === 0) return t("err_network");
  if (status >= 500) return t("err_500");
  if ([400, 401, 403, 404, 409, 413, 422, 429].includes(status)) return t(`err_${status}`);
  return t("err_422");
}

export class ApiError extends Error {
  constructor(status, detail, code = null) {
    super(translated(status, code, detail));
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** A readable reason from an error body: FastAPI's 422 lists every problem as {loc, msg}, shown as
 * "conditions.0.value: msg"; other errors carry a sentence. */
export function reason(detail, fallback) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => {
      const where = item && Array.isArray(item.loc) ? item.loc.filter((part) => part !== "body").join(".") : "";
      const message = item && item.msg ? item.msg : String(item);
      return where ? `${where}: ${message}` : message;
    }).join("; ");
  }
  return fallback;
}

export async function api(path, { method = "GET", body, headers: extra = {} } = {}) {
  const headers = { Accept: "application/json", ...extra };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  const options = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, "network");
  }
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new ApiError(401, "sign in again");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data && data.detail;
    const error = new ApiError(response.status, Array.isArray(detail) ? detail : reason(detail, response.statusText),
      response.headers.get("X-Hub-Error"));
    console.info(`Hub answered ${response.status}: ${reason(detail, response.statusText)}`);
    throw error;
  }
  return data;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined && value !== "") search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}
