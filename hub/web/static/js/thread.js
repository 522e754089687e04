// The thread: the contact's messages on every channel the agent may see, oldest first.

import { activityElement } from "./activity.js";
import { clear, h, highlighted, safeUrl } from "./dom.js";
import { t, clock, day, full } from "./i18n.js";

const TICKS = { queued: "🕓", sending: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓" };

const PROGRESS = { queued: 0, sending: 1, unknown: 1.5, sent: 2, delivered: 3, read: 4 };

/** The status to show when `incoming` arrives for a message showing `current`. Announcements can cross
 * (the worker's "sent" comes after its commit, the phone's "delivered" may come first), so a tick never
 * moves back; a failure shows whenever it comes, and a retried failure starts again. */
export function laterStatus(current, incoming) {
  if (current === "failed" || incoming === "failed") return incoming;
  return (PROGRESS[incoming] ?? -1) < (PROGRESS[current] ?? -1) ? current : incoming;
}

export function tick(status) {
  if (!(status in TICKS)) return null;
  return h("span", { class: `tick tick-${status}`, role: "img", "aria-label": t(`tick_${status}`), title: t(`tick_${status}`), text: TICKS[status] });
}

function attachments(message) {
  const items = (message.attachments || []).map((file, index) => {
    const url = safeUrl(file.url);
    const label = file.filename || t("attachment_n", { n: index + 1 });
    const type = file.content_type ? ` (${file.content_type})` : "";
    if (!url) return h("li", { class: "file is-pending", text: `${label} — ${t("attachment_pending")}` });
    return h("li", { class: "file" }, h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: `📎 ${label}${type}` }));
  });
  return items.length ? h("ul", { class: "msg-files", "aria-label": t("attachments") }, items) : null;
}

const CARD_KINDS = new Set(["buttons", "list", "invoice"]);

function text(value) {
  return typeof value === "string" && value.trim() ? value : null;
}

/** A product card, product list, cart or invoice: its title, its text (prices), and its buttons as chips. */
function card(message) {
  const payload = message.payload && typeof message.payload === "object" ? message.payload : {};
  const buttons = Array.isArray(payload.buttons) ? payload.buttons.filter((item) => item && typeof item === "object") : [];
  const invoice = payload.invoice && typeof payload.invoice === "object" ? payload.invoice : null;
  const title = text(payload.header) || (invoice ? text(invoice.title) : null);
  const parts = [];
  const image = safeUrl(payload.media_url);
  if (image && image.startsWith("https://")) {
    parts.push(h("img", { class: "card-image", src: image, alt: "", loading: "lazy", referrerpolicy: "no-referrer" }));
  }
  if (title) parts.push(h("p", { class: "card-title", text: title }));
  const body = text(message.text) || (invoice ? text(invoice.description) : null);
  if (body && body !== title) parts.push(h("p", { class: "msg-text card-text", text: body }));
  if (message.kind === "list" && buttons.length) {
    parts.push(h("ul", { class: "card-rows", "aria-label": t("card_rows") }, buttons.map((row) => h("li", { class: "card-row" },
      h("span", { class: "card-row-title", text: text(row.title) || "" }),
      text(row.description) ? h("span", { class: "card-row-price", text: row.description }) : null))));
    if (text(payload.list_button)) {
      parts.push(h("ul", { class: "card-chips", "aria-label": t("card_buttons") }, h("li", { class: "card-chip", text: payload.list_button })));
    }
  } else if (buttons.length) {
    parts.push(h("ul", { class: "card-chips", "aria-label": t("card_buttons") },
      buttons.map((item) => h("li", { class: "card-chip" + (item.url ? " is-link" : ""), text: text(item.title) || "" }))));
  }
  if (message.kind === "invoice" && !parts.length) parts.push(h("p", { class: "msg-text msg-kind", text: t("card_invoice") }));
  if (!parts.length) return null;
  return h("div", { class: `card card-${message.kind}` }, parts);
}

function body(message, mark) {
  if (CARD_KINDS.has(message.kind)) {
    const shown = card(message);
    if (shown) return shown;
  }
  if (message.text && mark) return h("p", { class: "msg-text" }, highlighted(message.text, mark));
  if (message.text) return h("p", { class: "msg-text", text: message.text });
  return h("p", { class: "msg-text msg-kind", text: t(`kind_${message.kind}`) });
}

function failure(message, onRetry) {
  if (message.status !== "failed") return null;
  const reason = message.error_reason || message.error_code || t("unknown_reason");
  return h("div", { class: "msg-error", role: "alert" },
    h("span", { text: t("not_sent", { reason }) }),
    h("button", { type: "button", class: "btn btn-small", onclick: () => onRetry(message.id), text: t("retry") }));
}

/* The provider never said whether it took this message: a person decides to send it again (a new message),
 * nothing does it by itself. Once resent, the old one says so and offers nothing more. */
function mayNotHaveBeenSent(message, onResend) {
  if (message.status !== "unknown") return null;
  const resent = message.error_code === "resent";
  return h("div", { class: "msg-unknown", role: "status" },
    h("span", { text: t(resent ? "may_not_be_sent_resent" : "may_not_be_sent") }),
    resent || !onResend ? null : h("button", { type: "button", class: "btn btn-small msg-resend",
      onclick: () => onResend(message), text: t("resend") }));
}

/** `mark` (optional): search text to mark in this message, which the search opened the thread at. */
export function messageElement(message, onRetry, onResend = null, mark = null) {
  const note = message.kind === "note";
  const side = note ? "note" : message.direction === "inbound" ? "in" : "out";
  const meta = [];
  if (note) meta.push(h("span", { class: "msg-private", text: t("private_note") }));
  if (message.author_name && message.direction === "outbound") meta.push(h("span", { class: "msg-author", text: message.author_name }));
  if (!message.here) meta.push(h("span", { class: `badge channel-${message.channel_kind}`, text: t("via_channel", { channel: message.channel_name }) }));
  const label = mark ? t("search_match") : note ? t("private_note") : null;
  return h("article", { class: `msg msg-${side}` + (message.here ? "" : " is-elsewhere") + (mark ? " is-match" : ""),
    dataset: { id: message.id }, "aria-label": label },
    meta.length ? h("div", { class: "msg-meta" }, meta) : null,
    body(message, mark),
    attachments(message),
    h("footer", { class: "msg-foot" },
      h("time", { datetime: message.created_at, title: full(message.created_at), text: clock(message.created_at) }),
      message.direction === "outbound" && !note ? tick(message.status) : null),
    failure(message, onRetry),
    mayNotHaveBeenSent(message, onResend));
}

/** The messages in the customer's order with this conversation's activity lines between them, by time.
 * `match` (optional): {id, text}: the message a search opened the thread at, with the text marked in it. */
export function renderThread(container, messages, onRetry, { onResend = null, activity = [], match = null } = {}) {
  clear(container);
  if (!messages.length && !activity.length) {
    container.append(h("p", { class: "empty", text: t("no_messages") }));
    return;
  }
  const entries = messages.map((message) => ({ at: message.occurred_at || message.created_at, message }));
  // activity older than the first message shown belongs to history not loaded here
  const from = messages.length >= 100 ? new Date(entries[0].at) : null;
  const lines = activity.filter((item) => !from || new Date(item.created_at) >= from);
  let next = 0;
  const merged = [];
  for (const entry of entries) {  // the messages keep the server's order; each line goes before the first later one
    while (next < lines.length && new Date(lines[next].created_at) < new Date(entry.at)) {
      merged.push({ at: lines[next].created_at, line: lines[next] });
      next += 1;
    }
    merged.push(entry);
  }
  for (; next < lines.length; next += 1) merged.push({ at: lines[next].created_at, line: lines[next] });
  let lastDay = null;
  for (const entry of merged) {
    const thisDay = new Date(entry.at).toDateString();
    if (thisDay !== lastDay) {
      container.append(h("div", { class: "day", role: "separator", text: day(entry.at) }));
      lastDay = thisDay;
    }
    if (entry.line) container.append(activityElement(entry.line));
    else container.append(messageElement(entry.message, onRetry, onResend,
                                         match && match.id === entry.message.id ? match.text : null));
  }
}

/** Move one message's tick (or failure) in place, from a live `message.status` event. */
export function updateStatus(container, message, onRetry, onResend) {
  const old = container.querySelector(`article.msg[data-id="${Number(message.id)}"]`);
  if (old) old.replaceWith(messageElement(message, onRetry, onResend));
  return Boolean(old);
}
