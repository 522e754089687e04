// The settings, catalog and campaign pages' helpers.

// The same calls as the inbox's: one fetch wrapper (CSRF, sign-in redirect, readable errors).
export { api as call, reason } from "./api.js";

/** "返金\n退款, refund" → ["返金", "退款", "refund"]: one per line, or split at commas (also 、 and ，). */
export function words(text) {
  return String(text).split(/[\n,，、]/).map((word) => word.trim()).filter(Boolean);
}
