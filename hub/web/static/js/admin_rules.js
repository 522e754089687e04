// Tag rules: the list (switch on or off, edit, delete after a second click) and the form.

import { call } from "./admin_api.js";
import { CONDITION_TYPES, conditionItem, summary } from "./admin_conditions.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";

export class Rules {
  constructor(context) {
    this.context = context;  // {channels, kinds, notify(message), onTagsChanged()}
    this.rules = [];
    this.editing = null;
    this.list = $("#rule-list");
    this.form = $("#rule-form");
    this.conditions = $("#rule-conditions");
    this.error = $("#rule-error");
    const typeSelect = $("#add-condition-type");
    typeSelect.append(...CONDITION_TYPES.map((type) => h("option", { value: type, text: t(`cond_${type}`) })));
    $("#add-condition").addEventListener("click", () => this.addCondition({ type: typeSelect.value }, true));
    $("#new-rule").addEventListener("click", () => this.open(null));
    $("#rule-cancel").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  get channelNames() {
    return Object.fromEntries(this.context.channels.map((channel) => [channel.id, channel.name]));
  }

  async load() {
    this.rules = await call("/api/v1/tag-rules");
    this.render();
  }

  render() {
    clear(this.list);
    if (!this.rules.length) this.list.append(h("li", { class: "empty", text: t("no_rules") }));
    for (const rule of this.rules) this.list.append(this.row(rule));
  }

  row(rule) {
    const names = this.channelNames;
    const enabled = h("input", { type: "checkbox", checked: rule.enabled, "aria-label": t("rule_on", { name: rule.name }),
      onchange: () => this.patch(rule, { enabled: enabled.checked }, enabled) });
    const confirmBox = h("div", { class: "confirm", role: "group", hidden: true },
      h("span", { text: t("delete_rule_question", { name: rule.name }) }),
      h("button", { type: "button", class: "btn btn-danger btn-small", text: t("delete"), onclick: () => this.remove(rule) }),
      h("button", { type: "button", class: "btn btn-small", text: t("cancel"), onclick: () => { confirmBox.hidden = true; } }));
    return h("li", { class: `admin-row rule-row${rule.enabled ? "" : " is-off"}`, dataset: { ruleId: rule.id } },
      h("div", { class: "admin-row-main" },
        h("strong", { class: "rule-name", text: rule.name }),
        h("div", { class: "chips" }, rule.actions.map((item) => h("span", { class: "tag",
          text: t(item.type === "tag_contact" ? "tags_contact" : "tags_conversation", { tag: item.tag }) }))),
        h("p", { class: "muted small rule-summary",
          text: `${t(`when_${rule.match}`)} ${rule.conditions.map((c) => summary(c, names)).join(" · ")}` })),
      h("div", { class: "admin-row-actions" },
        h("label", { class: "check" }, enabled, ` ${t("enabled")}`),
        h("button", { type: "button", class: "btn btn-small", text: t("edit"), "aria-label": t("edit_named", { name: rule.name }),
          onclick: () => this.open(rule) }),
        h("button", { type: "button", class: "btn btn-small", text: t("delete"), "aria-label": t("delete_named", { name: rule.name }),
          onclick: () => { confirmBox.hidden = false; confirmBox.querySelector(".btn-danger").focus(); } })),
      confirmBox);
  }

  async patch(rule, changes, box) {
    try {
      await call(`/api/v1/tag-rules/${rule.id}`, { method: "PATCH", body: changes });
      this.context.notify(t("saved"));
      await this.load();
    } catch (error) {
      if (box) box.checked = !box.checked;
      this.context.notify(error.message, true);
    }
  }

  async remove(rule) {
    try {
      await call(`/api/v1/tag-rules/${rule.id}`, { method: "DELETE" });
      if (this.editing && this.editing.id === rule.id) this.close();
      this.context.notify(t("deleted"));
      await this.load();
    } catch (error) {
      this.context.notify(error.message, true);
    }
  }

  addCondition(condition, focus = false) {
    const item = conditionItem(condition, this.context);
    this.conditions.append(item);
    if (focus) {
      const first = item.querySelector("input, textarea, select");
      if (first) first.focus();
    }
  }

  open(rule) {
    this.editing = rule;
    const action = rule ? rule.actions[0] : { type: "tag_conversation", tag: "" };
    $("#rule-form-title").textContent = rule ? t("edit_rule", { name: rule.name }) : t("new_rule");
    $("#rule-name").value = rule ? rule.name : "";
    $("#rule-tag").value = action.tag;
    $("#rule-target").value = action.type;
    $("#rule-match").value = rule ? rule.match : "all";
    $("#rule-enabled").checked = rule ? rule.enabled : true;
    clear(this.conditions);
    for (const condition of rule ? rule.conditions : [{ type: "keywords" }]) this.addCondition(condition);
    this.error.textContent = "";
    this.form.hidden = false;
    $("#new-rule").hidden = true;
    $("#rule-name").focus();
  }

  close() {
    this.editing = null;
    this.form.hidden = true;
    $("#new-rule").hidden = false;
  }

  async save() {
    const name = $("#rule-name").value.trim();
    const tag = $("#rule-tag").value.trim();
    const conditions = [...this.conditions.children].map((item) => item.readCondition());
    if (!name || !tag) {
      this.error.textContent = t("need_name_and_tag");
      return;
    }
    if (!conditions.length) {
      this.error.textContent = t("need_condition");
      return;
    }
    // The form edits the first action; any others the API holds stay as they are.
    const others = this.editing ? this.editing.actions.slice(1) : [];
    const body = { name, enabled: $("#rule-enabled").checked, match: $("#rule-match").value, conditions,
      actions: [{ type: $("#rule-target").value, tag }, ...others] };
    try {
      if (this.editing) await call(`/api/v1/tag-rules/${this.editing.id}`, { method: "PATCH", body });
      else await call("/api/v1/tag-rules", { method: "POST", body });
    } catch (error) {
      this.error.textContent = error.message;
      return;
    }
    this.close();
    this.context.notify(t("rule_saved", { name }));
    await Promise.all([this.load(), this.context.onTagsChanged()]);
  }
}
