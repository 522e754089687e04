// The settings page (admins): tag rules, tags' thresholds, business hours and assignment, each saved
// through the admin API as soon as its form is sent.

import { call } from "./admin_api.js";
import { Assignment } from "./admin_assign.js";
import { fillTimeZones, showHours } from "./admin_hours.js";
import { Rules } from "./admin_rules.js";
import { $, clear, h, notify } from "./dom.js";
import { t } from "./i18n.js";

const boot = JSON.parse($("#hub-boot").textContent);
let shopHours = null;

function thresholdText(value) {
  return value === null || value === undefined ? "" : String(value);
}

function tagRow(tag) {
  const id = `threshold-${tag.id}`;
  const threshold = h("input", { id, type: "number", class: "input narrow", min: "0.01", max: "1", step: "0.01",
    placeholder: t("only_suggest"), value: thresholdText(tag.auto_apply_threshold) });
  const color = h("input", { id: `color-${tag.id}`, type: "color", class: "color", value: tag.color });
  const error = h("p", { class: "error", role: "alert" });
  return h("li", { class: "admin-row tag-row", dataset: { tag: tag.name } },
    h("form", { class: "tag-settings", "aria-label": tag.name, onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = "";
      const body = { color: color.value, auto_apply_threshold: threshold.value ? Number(threshold.value) : null };
      try {
        await call(`/api/v1/tags/${encodeURIComponent(tag.name)}`, { method: "PATCH", body });
        notify(t("saved_named", { name: tag.name }));
      } catch (failure) {
        error.textContent = failure.message;
      }
    } },
    h("div", { class: "admin-row-main" }, h("span", { class: "tag", text: tag.name }),
      h("span", { class: "muted small", text: t("tag_counts", { conversations: tag.conversations, contacts: tag.contacts }) })),
    h("div", { class: "admin-row-actions" },
      h("label", { for: id, text: t("threshold") }), threshold,
      h("label", { for: color.id, text: t("color") }), color,
      h("button", { type: "submit", class: "btn btn-small", text: t("save"), "aria-label": t("save_named", { name: tag.name }) })),
    error));
}

async function loadTags() {
  const tags = await call("/api/v1/tags");
  const list = clear($("#tag-list"));
  if (!tags.length) list.append(h("li", { class: "empty", text: t("no_tags") }));
  list.append(...tags.map(tagRow));
  clear($("#admin-tag-names")).append(...tags.map((tag) => h("option", { value: tag.name })));
}

async function loadHours() {
  shopHours = showHours($("#shop-hours"), await call("/api/v1/business-hours"));
}

async function saveHours(event) {
  event.preventDefault();
  const error = $("#hours-error");
  error.textContent = "";
  try {
    shopHours = showHours($("#shop-hours"), await call("/api/v1/business-hours", { method: "PUT", body: shopHours.read() }));
    notify(t("saved"));
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function start() {
  fillTimeZones($("#admin-time-zones"));
  $("#hours-form").addEventListener("submit", saveHours);
  const options = await call("/api/v1/inbox/options");
  const context = { ...options, agents: boot.agents, kinds: boot.channel_kinds, notify, onTagsChanged: loadTags };
  const rules = new Rules(context);
  const assignment = new Assignment(context);
  await Promise.all([rules.load(), loadTags(), loadHours(), assignment.load()]);
  document.body.dataset.ready = "true";
}

start().catch((error) => notify(error.message || t("error"), true));
