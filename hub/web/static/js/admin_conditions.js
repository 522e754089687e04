// One editor per kind of rule condition (see hub/tagging/rules.py), and a one-line summary of each.

import { words } from "./admin_api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

export const CONDITION_TYPES = ["keywords", "pattern", "channel", "hours", "custom_field", "contact_tag", "locale"];
let counter = 0;

function field(label, control) {
  control.id = `cond-${++counter}`;
  return h("div", { class: "cond-field" }, h("label", { for: control.id, text: label }), control);
}

function select(values, chosen, label) {
  return h("select", { class: "input", "aria-label": label },
    values.map(([value, text]) => h("option", { value, selected: value === chosen, text })));
}

function checks(legend, items, chosen) {
  const boxes = items.map(([value, text]) => {
    const box = h("input", { type: "checkbox", value, checked: chosen.includes(value) });
    return { value, box, label: h("label", { class: "check" }, box, ` ${text}`) };
  });
  const el = h("fieldset", { class: "checks" }, h("legend", { text: legend }), boxes.map((item) => item.label));
  return { el, chosen: () => boxes.filter((item) => item.box.checked).map((item) => item.value) };
}

const EDITORS = {
  keywords(condition) {
    const text = h("textarea", { class: "input", rows: "3", maxlength: "20000" });
    text.value = (condition.values || []).join("\n");
    return { fields: [field(t("keywords_label"), text)], read: () => ({ type: "keywords", values: words(text.value) }) };
  },
  pattern(condition) {
    const input = h("input", { class: "input mono", maxlength: "5000", autocomplete: "off", spellcheck: "false",
      value: condition.value || "" });
    return { fields: [field(t("pattern_label"), input)], read: () => ({ type: "pattern", value: input.value }) };
  },
  channel(condition, context) {
    const ids = checks(t("channels"), context.channels.map((c) => [String(c.id), c.name]), (condition.ids || []).map(String));
    const kinds = checks(t("channel_kinds"), context.kinds.map((k) => [k, t(`channel_kind_${k}`)]), condition.kinds || []);
    return { fields: [ids.el, kinds.el],
      read: () => ({ type: "channel", ids: ids.chosen().map(Number), kinds: kinds.chosen() }) };
  },
  hours(condition) {
    const when = select([["inside", t("hours_inside")], ["outside", t("hours_outside")]], condition.when || "outside", t("when"));
    return { fields: [field(t("when"), when)], read: () => ({ type: "hours", when: when.value }) };
  },
  custom_field(condition) {
    const name = h("input", { class: "input", maxlength: "100", autocomplete: "off", value: condition.field || "" });
    const op = select([["equals", t("op_equals")], ["contains", t("op_contains")]], condition.op || "equals", t("comparison"));
    const value = h("input", { class: "input", maxlength: "500", autocomplete: "off",
      value: condition.value === undefined ? "" : String(condition.value) });
    return { fields: [field(t("field_name"), name), field(t("comparison"), op), field(t("field_value"), value)],
      read: () => ({ type: "custom_field", field: name.value, op: op.value, value: value.value }) };
  },
  contact_tag(condition) {
    const op = select([["has", t("op_has")], ["lacks", t("op_lacks")]], condition.op || "has", t("comparison"));
    const tag = h("input", { class: "input", maxlength: "100", autocomplete: "off", list: "admin-tag-names",
      value: condition.tag || "" });
    return { fields: [field(t("comparison"), op), field(t("tag"), tag)],
      read: () => ({ type: "contact_tag", op: op.value, tag: tag.value }) };
  },
  locale(condition) {
    const input = h("input", { class: "input", maxlength: "500", autocomplete: "off", placeholder: "ja, zh-HK",
      value: (condition.values || []).join(", ") });
    return { fields: [field(t("locales_label"), input)], read: () => ({ type: "locale", values: words(input.value) }) };
  },
};

/** A list item editing one condition; `read()` gives the condition as the API wants it. */
export function conditionItem(condition, context) {
  const editor = EDITORS[condition.type](condition, context);
  const title = t(`cond_${condition.type}`);
  const item = h("li", { class: "condition" },
    h("div", { class: "condition-head" }, h("strong", { text: title }),
      h("button", { type: "button", class: "btn btn-small", text: t("remove"),
        "aria-label": t("remove_condition", { kind: title }), onclick: () => item.remove() })),
    h("div", { class: "condition-fields" }, editor.fields));
  item.readCondition = editor.read;
  return item;
}

export function summary(condition, channelNames) {
  const title = t(`cond_${condition.type}`);
  switch (condition.type) {
    case "keywords":
    case "locale":
      return `${title}: ${condition.values.join(", ")}`;
    case "pattern":
      return `${title}: ${condition.value}`;
    case "channel":
      return `${title}: ${[...condition.ids.map((id) => channelNames[id] || `#${id}`),
        ...condition.kinds.map((kind) => t(`channel_kind_${kind}`))].join(", ")}`;
    case "hours":
      return t(`hours_${condition.when}`);
    case "custom_field":
      return t(`field_${condition.op}`, { field: condition.field, value: String(condition.value) });
    case "contact_tag":
      return t(`contact_${condition.op}`, { tag: condition.tag });
    default:
      return title;
  }
}
