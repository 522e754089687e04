// The bots page (/bots): each bot with its numbers (handled, contained, handoffs by reason) and an on/off
// switch, and the knowledge base: a table per language, add / edit / delete, CSV export and import.
// Customer texts are put in with textContent.

import { call, words } from "./admin_api.js";
import { $, clear, h, notify } from "./dom.js";
import { t } from "./i18n.js";

const meta = document.querySelector('meta[name="csrf-token"]');
const csrf = meta ? meta.getAttribute("content") : "";

async function showBots() {
  const bots = await call("/api/v1/bots");
  const rows = $("#bot-rows");
  clear(rows);
  $("#no-bots").hidden = bots.length > 0;
  for (const bot of bots) {
    const stats = await call(`/api/v1/bots/${bot.id}/stats`).catch(() => null);
    const reasons = stats ? Object.entries(stats.handoffs_by_reason).map(([why, n]) => `${why}: ${n}`).join(", ") : "";
    const toggle = h("input", { type: "checkbox", checked: bot.enabled, "aria-label": t("bot_enabled_named", { name: bot.name }),
      onchange: async (event) => {
        try {
          await call(`/api/v1/bots/${bot.id}`, { method: "PATCH", body: { enabled: event.target.checked } });
        } catch (error) {
          notify(error.message, true);
        }
      } });
    rows.append(h("tr", { class: "bot-row", dataset: { id: bot.id } },
      h("th", { scope: "row", text: bot.name }),
      h("td", {}, bot.flow_id ? h("a", { href: `/flows/${bot.flow_id}`, text: t("bot_edit_flow") }) : h("span", { text: bot.url || "—" })),
      h("td", { class: "num", text: String(stats ? stats.conversations : "–") }),
      h("td", { class: "num", text: stats ? `${stats.contained} (${Math.round(stats.containment_rate * 100)}%)` : "–" }),
      h("td", { text: reasons || "—" }),
      h("td", {}, toggle)));
  }
}

function edit(entry) {
  $("#entry-id").value = entry ? entry.id : "";
  $("#entry-locale").value = entry ? entry.locale : "en";
  $("#entry-question").value = entry ? entry.question : "";
  $("#entry-answer").value = entry ? entry.answer : "";
  $("#entry-keywords").value = entry ? entry.keywords.join(", ") : "";
  $("#entry-title").textContent = entry ? t("bot_edit_entry") : t("bot_new_entry");
  $("#entry-cancel").hidden = !entry;
  $("#entry-error").textContent = "";
  if (entry) $("#entry-question").focus();
}

async function showKnowledge() {
  const locale = $("#knowledge-locale").value;
  const entries = await call(`/api/v1/knowledge${locale ? `?locale=${encodeURIComponent(locale)}` : ""}`);
  const rows = $("#knowledge-rows");
  clear(rows);
  for (const entry of entries) {
    rows.append(h("tr", { class: "entry-row", dataset: { id: entry.id } },
      h("td", { text: entry.locale }),
      h("th", { scope: "row", text: entry.question }),
      h("td", { text: entry.answer }),
      h("td", { text: entry.keywords.join(", ") }),
      h("td", { class: "jr-row-actions" },
        h("button", { type: "button", class: "btn btn-small", text: t("bot_edit"), "aria-label": t("bot_edit_named", { name: entry.question }),
          onclick: () => edit(entry) }),
        h("button", { type: "button", class: "btn btn-small", text: t("bot_delete"), "aria-label": t("bot_delete_named", { name: entry.question }),
          onclick: async () => {
            try {
              await call(`/api/v1/knowledge/${entry.id}`, { method: "DELETE" });
              await showKnowledge();
            } catch (error) {
              notify(error.message, true);
            }
          } }))));
  }
}

async function save(event) {
  event.preventDefault();
  const id = $("#entry-id").value;
  const body = { locale: $("#entry-locale").value, question: $("#entry-question").value.trim(),
    answer: $("#entry-answer").value.trim(), keywords: words($("#entry-keywords").value) };
  try {
    await call(id ? `/api/v1/knowledge/${id}` : "/api/v1/knowledge", { method: id ? "PATCH" : "POST", body });
    edit(null);
    notify(t("bot_saved"));
    await showKnowledge();
  } catch (error) {
    $("#entry-error").textContent = error.message;
  }
}

async function importCsv(event) {
  const file = event.target.files[0];
  if (!file) return;
  const response = await fetch("/api/v1/knowledge/import", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "text/csv", Accept: "application/json", "X-CSRF-Token": csrf }, body: await file.text() });
  const data = await response.json().catch(() => null);
  event.target.value = "";
  if (!response.ok) {
    notify(t("bot_import_refused", { reason: data && typeof data.detail === "string" ? data.detail : response.statusText }), true);
    return;
  }
  notify(t("bot_imported", { added: data.added, updated: data.updated }));
  await showKnowledge();
}

// --- the test console -----------------------------------------------------------------------------------------

const boot = JSON.parse(($("#hub-boot") || {}).textContent || "{}");
let consoleConversation = null;

function showLines(lines) {
  const list = $("#console-lines");
  clear(list);
  for (const line of lines) {
    const buttons = line.native ? line.buttons.map((title, index) => h("button", { type: "button", class: "btn btn-small",
      text: title, onclick: () => consoleSay({ button: line.payload_ids[index] || title }) })) : [];
    list.append(h("li", { class: `bot-line bot-line-${line.direction}` },
      h("span", { class: "muted small", text: t(line.direction === "in" ? "bot_console_you" : "bot_console_bot") }),
      h("p", { class: "bot-line-text", text: line.text || "" }), ...buttons));
  }
}

async function consoleRead() {
  if (!consoleConversation) return;
  const answer = await call(`/api/v1/bot-console?conversation_id=${consoleConversation}`);
  showLines(answer.lines);
}

async function consoleSay(what) {
  try {
    const answer = await call("/api/v1/bot-console", { method: "POST",
      body: { channel_id: Number($("#console-channel").value), ...what } });
    consoleConversation = answer.conversation_id;
    showLines(answer.lines);
    for (const wait of [700, 1500, 3000]) setTimeout(() => consoleRead().catch(() => {}), wait);  // the bot answers
  } catch (error) {
    notify(error.message, true);
  }
}

for (const channel of boot.channels || []) {
  $("#console-channel").append(h("option", { value: channel.id, text: `${channel.name} (${channel.kind})` }));
}
$("#console-channel").addEventListener("change", () => { consoleConversation = null; clear($("#console-lines")); });
$("#console-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("#console-text").value.trim();
  if (!text) return;
  $("#console-text").value = "";
  consoleSay({ text });
});

$("#entry-form").addEventListener("submit", save);
$("#entry-cancel").addEventListener("click", () => edit(null));
$("#knowledge-locale").addEventListener("change", showKnowledge);
$("#knowledge-import").addEventListener("change", importCsv);
showBots().catch((error) => notify(error.message, true));
showKnowledge().catch((error) => notify(error.message, true));
