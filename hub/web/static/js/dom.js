// Building the page from data. Customer text only ever goes in as text nodes or attribute
// values (never innerHTML), so whatever a customer writes is shown, not run.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Only Hub's own paths and https links become links; anything else (javascript:, data:) does not. */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  return url.startsWith("https://") ? url : null;
}

export function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

let savedTimer = null;

/** A staff page's message: an error stays in #flash; anything else shows in #saved for 4 seconds. */
export function notify(message, isError = false) {
  const flash = $("#flash");
  const saved = $("#saved");
  clearTimeout(savedTimer);
  if (isError) {
    flash.textContent = message;
    flash.hidden = false;
    return;
  }
  flash.hidden = true;
  saved.textContent = message;
  savedTimer = setTimeout(() => { saved.textContent = ""; }, 4000);
}

/** `text` with each case-insensitive occurrence of `needle` in a <mark>: split into text nodes, never parsed as HTML. */
export function highlighted(text, needle) {
  const value = String(text ?? "");
  const wanted = String(needle ?? "").trim();
  if (!wanted) return [value];
  const pattern = new RegExp(`(${wanted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})`, "giu");
  return value.split(pattern).map((part, index) => (index % 2 ? h("mark", { text: part }) : part)).filter((part) => part !== "");
}
