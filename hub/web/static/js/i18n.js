// UI strings translated on the server for the agent's language (every package's web/strings.py, merged by hub/web/shell.py).

const node = document.getElementById("hub-strings");
const strings = node ? JSON.parse(node.textContent) : {};

export const locale = document.documentElement.lang || "en";

/** Whether some package's strings have `key`. */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(strings, key);
}

export function t(key, params) {
  let text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  for (const [name, value] of Object.entries(params || {})) text = text.split(`{${name}}`).join(String(value));
  return text;
}

const timeFormat = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric" });
const fullFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  const date = new Date(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dayFormat.format(date);
}

export function clock(iso) {
  return timeFormat.format(new Date(iso));
}

export function full(iso) {
  return fullFormat.format(new Date(iso));
}

export function day(iso) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "full" }).format(new Date(iso));
}
