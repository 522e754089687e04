// The thread header's controls: status (with snooze), assignee and tags.

import { tagTitle } from "./activity.js";
import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { t } from "./i18n.js";

const STATUSES = ["open", "pending", "snoozed", "resolved"];

export class Controls {
  constructor(root, { options, me, onChanged, onError, onResolved = () => {} }) {
    this.onResolved = onResolved;
    this.root = root;
    this.options = options;
    this.me = me;
    this.onChanged = onChanged;
    this.onError = onError;
  }

  async call(path, method = "POST", body = undefined) {
    try {
      await api(path, { method, body });
      this.onChanged();
      return true;
    } catch (error) {
      this.onError(error.message);
      return false;
    }
  }

  async status(status, snoozedUntil = null) {
    const id = this.detail.conversation.id;
    const before = this.detail.conversation.status;
    const done = await this.call(`/api/v1/conversations/${id}/status`, "POST", { status, snoozed_until: snoozedUntil });
    if (done && status === "resolved" && before !== "resolved") this.onResolved(id, before);
    return done;
  }

  toggleResolved() {
    if (!this.detail) return undefined;
    return this.status(this.detail.conversation.status === "resolved" ? "open" : "resolved");
  }

  render(detail) {
    this.detail = detail;
    const conversation = detail.conversation;
    const id = conversation.id;
    clear(this.root);

    const snooze = h("input", { type: "datetime-local", id: "snooze-until", class: "input", "aria-label": t("snooze_until") });
    const snoozeBox = h("span", { class: "snooze", hidden: conversation.status !== "snoozed" || null },
      snooze, h("button", { type: "button", class: "btn btn-small", text: t("snooze"), onclick: () => {
        if (!snooze.value) return;
        this.status("snoozed", new Date(snooze.value).toISOString());
      } }));
    const status = h("select", { id: "status-select", class: "input", "aria-label": t("status"), onchange: () => {
      if (status.value === "snoozed") {
        snoozeBox.hidden = false;
        snooze.focus();
      } else {
        this.status(status.value);
      }
    } }, STATUSES.map((value) => h("option", { value, selected: value === conversation.status, text: t(`status_${value}`) })));

    const assignee = h("select", { id: "assignee-select", class: "input", "aria-label": t("assignee"), onchange: () => {
      this.call(`/api/v1/conversations/${id}/assign`, "POST", { assignee_id: assignee.value ? Number(assignee.value) : null });
    } }, h("option", { value: "", text: t("unassigned") }),
    this.options.agents.map((agent) => h("option", { value: agent.id, selected: agent.id === conversation.assignee_id,
      text: agent.id === this.me ? t("me_name", { name: agent.name }) : agent.name })));

    const team = h("select", { id: "team-select", class: "input", "aria-label": t("hand_to_team"), onchange: () => {
      this.call(`/api/v1/conversations/${id}/team`, "POST", { team_id: team.value ? Number(team.value) : null });
    } }, h("option", { value: "", text: t("team_of_channel") }),
    this.options.teams.map((item) => h("option", { value: item.id, selected: item.id === conversation.team_id, text: item.name })));

    const resolved = conversation.status === "resolved";
    const resolve = h("button", { type: "button", class: "btn", id: "resolve", "aria-keyshortcuts": "e",
      text: resolved ? t("reopen") : t("resolve"), onclick: () => this.toggleResolved() });

    const tagInput = h("input", { id: "tag-input", class: "input", list: "tag-names", maxlength: "100", autocomplete: "off",
      "aria-label": t("add_tag"), placeholder: t("add_tag") });
    const tagForm = h("form", { class: "tag-form", onsubmit: (event) => {
      event.preventDefault();
      const name = tagInput.value.trim();
      if (name) this.call(`/api/v1/conversations/${id}/tags/${encodeURIComponent(name)}`);
    } }, tagInput, h("button", { type: "submit", class: "btn btn-small", text: t("add") }));
    const tags = h("ul", { class: "chips", "aria-label": t("tags") }, conversation.tags.map((tag) => h("li", { class: "tag",
      title: tagTitle(tag, conversation.tag_details) },
      h("span", { text: tag }),
      h("button", { type: "button", class: "chip-remove", "aria-label": t("remove_tag", { tag }), text: "×",
        onclick: () => this.call(`/api/v1/conversations/${id}/tags/${encodeURIComponent(tag)}`, "DELETE") }))));

    // who answers: the bot (then a person may take over) or a person (who may hand it back to the bot)
    const bot = conversation.automation_mode === "bot";
    const automation = h("span", { class: "automation", id: "automation" },
      h("span", { class: bot ? "tag automation-bot" : "tag", text: t(bot ? "bot_answers" : "person_answers") }),
      h("button", { type: "button", class: "btn btn-small", id: "automation-toggle",
        text: t(bot ? "take_over_from_bot" : "hand_back_to_bot"),
        onclick: () => this.call(`/api/v1/conversations/${id}/automation`, "PUT", { mode: bot ? "human" : "bot" }) }));

    this.root.append(
      h("div", { class: "control-row" }, status, snoozeBox, assignee, team, resolve, automation),
      h("div", { class: "control-row" }, tags, tagForm));
  }
}
