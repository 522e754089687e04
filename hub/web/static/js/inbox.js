// The shared inbox: the list, the open thread, its composer and contact panel, kept live over the WebSocket.

import { api, query } from "./api.js";
import { Composer } from "./composer.js";
import { renderContact } from "./contact.js";
import { Controls } from "./controls.js";
import { $, clear, debounce, h } from "./dom.js";
import { t } from "./i18n.js";
import { bindKeys, Help } from "./keys.js";
import { renderList } from "./list.js";
import { Live } from "./live.js";
import { Due, Notifier, Presence, titleCount, Undo } from "./staff.js";
import { laterStatus, renderThread, updateStatus } from "./thread.js";
import { VisitorTyping } from "./typing.js";

const boot = JSON.parse($("#hub-boot").textContent);
const state = { rows: [], cursor: null, openId: null, detail: null, messages: [], activity: [], options: null, match: null };
const listEl = $("#conversation-list");
const threadEl = $("#thread");
const contactEl = $("#contact");
let controls = null;
let composer = null;
let live = null;
let notifier = null;
let undo = null;
let due = null;
const visitorTyping = new VisitorTyping($("#visitor-typing"));
const baseTitle = document.title;
const arrivals = new Set();  // conversations with a new customer message since the list was last drawn

const chosen = new Set();  // conversations ticked for a bulk action
let picks = null;

function drawList(openId) {
  renderList(listEl, state.rows, openId, openConversation, picks, $("#search").value.trim());
}

// A search covers every status until the agent picks one; the status list then shows "Any status".
let statusPicked = false;
let statusBeforeSearch = null;

function searchScope(applied) {
  const box = $("#search-scope");
  clear(box);
  box.hidden = !applied.q;
  if (!applied.q) return;
  const chosen = (id) => { const select = $(id); return select.value ? select.options[select.selectedIndex].text : null; };
  const chips = [applied.status ? t(`status_${applied.status}`) : t("all_statuses"),
    chosen("#filter-assignee"), chosen("#filter-team"), chosen("#filter-channel"), chosen("#filter-tag")].filter(Boolean);
  box.append(h("span", { class: "search-scope-label", text: t("searching_in") }),
    ...chips.map((text) => h("span", { class: "chip", text })));
}

function drawBulk() {
  for (const id of [...chosen]) if (!state.rows.some((row) => row.id === id)) chosen.delete(id);
  $("#bulk").hidden = chosen.size === 0;
  $("#bulk-count").textContent = t("bulk_count", { count: chosen.size });
}

/** One action on every ticked conversation, through the same routes as one at a time (access checked on each). */
async function bulk(path, method = "POST", body = undefined) {
  const ids = [...chosen];
  const failed = [];
  for (const id of ids) {
    try {
      await api(path(id), { method, body });
    } catch (error) {
      failed.push(error.message);
    }
  }
  chosen.clear();
  drawBulk();
  drawList(state.openId);
  announce(failed.length ? t("bulk_failed", { count: failed.length, reason: failed[0] }) : "");
  if (!failed.length) undo.show(t("bulk_done", { count: ids.length }), null);
  refreshList();
  refreshThread();
}

function startBulk(readOnly) {
  if (readOnly) return;
  picks = { chosen, onToggle: (id, checked) => { if (checked) chosen.add(id); else chosen.delete(id); drawBulk(); } };
  const assignee = $("#bulk-assignee");
  for (const agent of state.options.agents) {
    assignee.append(h("option", { value: agent.id, text: agent.id === boot.user_id ? t("me_name", { name: agent.name }) : agent.name }));
  }
  $("#bulk-assign").addEventListener("click", () => {
    if (assignee.value === "") return;
    const to = assignee.value === "none" ? null : Number(assignee.value);
    bulk((id) => `/api/v1/conversations/${id}/assign`, "POST", { assignee_id: to });
  });
  $("#bulk-resolve").addEventListener("click", () => bulk((id) => `/api/v1/conversations/${id}/status`, "POST", { status: "resolved" }));
  $("#bulk-tag-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("#bulk-tag").value.trim();
    if (!name) return;
    $("#bulk-tag").value = "";
    bulk((id) => `/api/v1/conversations/${id}/tags/${encodeURIComponent(name)}`);
  });
  $("#bulk-clear").addEventListener("click", () => { chosen.clear(); drawBulk(); drawList(state.openId); });
}

function setView(view) {
  document.body.dataset.view = view;
}

function announce(message) {
  const box = $("#flash");
  box.textContent = message;
  box.hidden = !message;
}

function filters() {
  const status = $("#filter-status");
  const searching = $("#search").value.trim() !== "";
  if (searching && !statusPicked && statusBeforeSearch === null) {
    statusBeforeSearch = status.value;
    status.value = "";
  } else if (!searching && statusBeforeSearch !== null) {
    if (!statusPicked) status.value = statusBeforeSearch;
    statusBeforeSearch = null;
    statusPicked = false;
  }
  return {
    status: status.value, assignee: $("#filter-assignee").value, team_id: $("#filter-team").value,
    channel_id: $("#filter-channel").value, tag: $("#filter-tag").value, q: $("#search").value.trim(),
  };
}

let listLoads = 0;  // each load's number: only the newest one's answer is drawn

async function loadList({ more = false } = {}) {
  const limit = more ? 50 : Math.max(50, state.rows.length);
  const applied = filters();
  const mine = ++listLoads;
  const page = await api(`/api/v1/inbox/conversations${query({ ...applied, limit, cursor: more ? state.cursor : null })}`);
  if (mine !== listLoads) return;  // a later load was asked meanwhile (a change, a live event): an older answer
  // arriving after it would draw the list as it was before that change
  searchScope(applied);
  state.rows = more ? [...state.rows, ...page.items] : page.items;
  state.cursor = page.next_cursor;
  drawList(state.openId);
  drawBulk();
  titleCount(state.rows, baseTitle);
  for (const id of arrivals) {
    const row = state.rows.find((item) => item.id === id);
    const seeing = id === state.openId && document.visibilityState === "visible";
    if (row && row.assignee_id === boot.user_id && !seeing && notifier) notifier.notify(row, openConversation);
  }
  arrivals.clear();
  $("#more").hidden = !state.cursor;
  $("#list-count").textContent = t("shown_count", { count: state.rows.length });
}

const refreshList = debounce(() => loadList().catch((error) => announce(error.message)), 150);

function contactConversationIds() {
  return state.detail ? state.detail.conversations.map((item) => item.id) : [];
}

async function loadThread({ scroll = true } = {}) {
  const id = state.openId;
  if (id === null) return;
  const [detail, messages, activity] = await Promise.all([
    api(`/api/v1/inbox/conversations/${id}`), api(`/api/v1/inbox/conversations/${id}/history?limit=100`),
    api(`/api/v1/conversations/${id}/activity`)]);
  if (id !== state.openId) return;
  const shown = new Map(state.messages.map((message) => [message.id, message.status]));
  for (const message of messages) {  // a page read before a live receipt must not take its tick back
    if (shown.has(message.id)) message.status = laterStatus(shown.get(message.id), message.status);
  }
  state.detail = detail;
  state.messages = messages;
  state.activity = activity;
  for (const message of messages) live.seen(message.id);
  const nearBottom = threadEl.scrollHeight - threadEl.scrollTop - threadEl.clientHeight < 80;
  const conversation = detail.conversation;
  $("#thread-title").textContent = conversation.contact_name || t("unnamed_contact");
  $("#thread-sub").textContent = `${detail.channel.name} · ${t(`status_${conversation.status}`)}`;
  $("#show-contact").hidden = false;
  due.show(detail.first_response_due_at);
  controls.render(detail);
  composer.show(detail);
  renderContact(contactEl, detail, openConversation);
  renderThread(threadEl, messages, retry, { onResend: resend, activity, match: state.match });
  if (scroll || nearBottom) threadEl.scrollTop = threadEl.scrollHeight;  // after the header and composer took their room
  const matched = scroll && state.match ? threadEl.querySelector(`article.msg[data-id="${Number(state.match.id)}"]`) : null;
  if (matched) matched.scrollIntoView({ block: "center" });  // a search result opens at the message that matched
  if (conversation.unread_count > 0 && document.visibilityState === "visible") {
    markRead(id);
  }
}

function markRead(id) {
  if (boot.role === "marketer") return;  // a reader only: the agents' unread counts stay theirs
  const row = state.rows.find((item) => item.id === id);
  if (row && row.unread_count) {
    row.unread_count = 0;
    drawList(state.openId);
    titleCount(state.rows, baseTitle);
  }
  api(`/api/v1/conversations/${id}/read`, { method: "POST" }).catch(() => {});
}

const refreshThread = debounce(() => loadThread({ scroll: false }).catch((error) => announce(error.message)), 120);

async function openConversation(id, { push = true, match = null } = {}) {
  state.openId = id;
  visitorTyping.hide();
  const searched = $("#search").value.trim();
  state.match = match && searched ? { id: match, text: searched } : null;
  announce("");
  if (push && location.pathname !== `/conversations/${id}`) history.pushState({ id }, "", `/conversations/${id}`);
  drawList(id);
  setView("thread");
  try {
    await loadThread();
  } catch (error) {
    state.openId = null;
    state.detail = null;
    clear(threadEl);
    $("#thread-title").textContent = error.status === 404 ? t("not_found") : t("error");
    announce(error.status === 404 ? t("not_found_detail") : error.message);
  }
}

async function retry(messageId) {
  try {
    await api(`/api/v1/messages/${messageId}/retry`, { method: "POST" });
    refreshThread();
  } catch (error) {
    announce(error.message);
  }
}

/* Only on the agent's click: a new message with the same content (the old one stays, it may still arrive). */
async function resend(message) {
  try {
    await api(`/api/v1/conversations/${message.conversation_id}/messages/${message.id}/resend`, { method: "POST" });
    refreshThread();
  } catch (error) {
    announce(error.message);
  }
}

function onEvent(name, data) {
  if (name === "visitor.typing") {  // live only: nothing to reload
    if (data.conversation_id === state.openId) visitorTyping.show();
    return;
  }
  if (name === "message.received" && data.conversation_id === state.openId) visitorTyping.hide();
  const mine = contactConversationIds().includes(data.conversation_id)
    || ((name.startsWith("order.") || name.startsWith("loyalty.")) && state.detail !== null
      && data.contact_id === state.detail.contact.id);
  if (name === "message.status") {
    const message = state.messages.find((item) => item.id === data.message_id);
    if (message) {
      Object.assign(message, { status: laterStatus(message.status, data.status), error_code: data.error_code ?? message.error_code,
        error_reason: data.error_reason ?? message.error_reason });
      if (data.attachments !== undefined) refreshThread();
      else updateStatus(threadEl, message, retry, resend);
    } else if (mine) {
      refreshThread();
    }
    return;
  }
  if (name === "message.received") arrivals.add(data.conversation_id);
  refreshList();
  if (mine) refreshThread();
}

function move(step) {
  if (!state.rows.length) return;
  const index = state.rows.findIndex((row) => row.id === state.openId);
  const next = index === -1 ? 0 : Math.min(Math.max(index + step, 0), state.rows.length - 1);
  openConversation(state.rows[next].id).then(() => {
    const link = listEl.querySelector(`li[data-id="${state.rows[next].id}"] a`);
    if (link) link.scrollIntoView({ block: "nearest" });
  });
}

function toggleContact(show) {
  if (!state.detail) return;
  const open = show ?? !document.body.classList.contains("contact-open");
  document.body.classList.toggle("contact-open", open);
  $("#show-contact").setAttribute("aria-expanded", String(open));
  if (open) setView("contact");
  else setView(state.openId ? "thread" : "list");
}

function fillSelect(select, items, label) {
  for (const item of items) select.append(h("option", { value: item.id ?? item, text: label(item) }));
}

async function start() {
  state.options = await api("/api/v1/inbox/options");
  fillSelect($("#filter-team"), state.options.teams, (team) => team.name);
  fillSelect($("#filter-channel"), state.options.channels, (channel) => channel.name);
  fillSelect($("#filter-tag"), state.options.tags, (tag) => tag);
  const names = $("#tag-names");
  for (const tag of state.options.tags) names.append(h("option", { value: tag }));
  undo = new Undo($("#undo"));
  due = new Due($("#due"));
  controls = new Controls($("#controls"), {
    options: state.options, me: boot.user_id, onChanged: () => { refreshThread(); refreshList(); }, onError: announce,
    onResolved: (id, before) => undo.show(t("resolved_undo"), async () => {
      try {
        await api(`/api/v1/conversations/${id}/status`, { method: "POST", body: { status: before === "snoozed" ? "open" : before } });
        refreshThread();
        refreshList();
      } catch (error) {
        announce(error.message);
      }
    }),
  });
  const readOnly = boot.role === "marketer";
  composer = new Composer($("#composer"), { onSent: () => { refreshThread(); refreshList(); }, readOnly });
  $("#controls").hidden = readOnly;
  startBulk(readOnly);
  if (!readOnly) {
    new Presence($("#presence"), boot.online, announce);
    notifier = new Notifier($("#notify-toggle"));
    notifier.askOnFirstClick();
  }
  live = new Live({
    onEvent,
    onCatchUp: () => { refreshList(); refreshThread(); },
    onResync: () => { refreshList(); refreshThread(); },
    onStatus: (status) => {
      const badge = $("#live-status");
      badge.textContent = status === "live" ? t("live") : t("reconnecting");
      badge.dataset.state = status;
    },
  });
  $("#filter-status").addEventListener("change", () => { statusPicked = true; loadList(); });
  for (const id of ["#filter-assignee", "#filter-team", "#filter-channel", "#filter-tag"]) {
    $(id).addEventListener("change", () => loadList());
  }
  $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); loadList(); });
  $("#search").addEventListener("search", () => loadList());
  $("#more").addEventListener("click", () => loadList({ more: true }));
  $("#show-list").addEventListener("click", () => { document.body.classList.remove("contact-open"); setView("list"); });
  $("#show-contact").addEventListener("click", () => toggleContact());
  $("#close-contact").addEventListener("click", () => toggleContact(false));
  window.addEventListener("popstate", () => {
    const found = /^\/conversations\/(\d+)$/.exec(location.pathname);
    if (found) openConversation(Number(found[1]), { push: false });
    else setView("list");
  });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refreshThread(); });
  const help = new Help($("#help"), $("#help-button"));
  bindKeys({
    next: () => move(1), previous: () => move(-1),
    reply: () => { composer.setMode("reply"); composer.focus(); },
    note: () => { composer.setMode("note"); composer.focus(); },
    resolve: () => controls.toggleResolved(),
    canned: () => { composer.setMode("reply"); composer.focus("/"); },
    contact: () => toggleContact(),
    escape: () => toggleContact(false),
  }, help);
  if (!boot.open_id) setView("list");  // on a phone: the list alone, not an empty thread with a dead reply box
  await loadList();
  if (boot.open_id) await openConversation(boot.open_id, { push: false });
}

start().catch((error) => announce(error.message));
