// The journeys editor's side panel: the settings form of one step (per step type), or of the trigger and the
// flow's entry rules; each step's exits are connected here with a select per port (the keyboard's way to
// connect). Edits change the definition in place and call `onChange`; customer texts are per-locale maps.

import { words } from "./admin_api.js";
import { clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { LOCALES, TRIGGERS, connect, edgeFrom, portName, portsOf, stepName, summary, triggerName } from "./journeys_model.js";

const LANGUAGE = { en: "English", "zh-Hant": "繁體中文", ja: "日本語" };
let counter = 0;

function uid() {
  counter += 1;
  return `jr-f-${counter}`;
}

/** A labelled control in the panel's grid. */
function field(label, control, help) {
  const id = control.id || uid();
  control.id = id;
  return h("div", { class: "jr-field" }, h("label", { for: id, text: label }), control,
    help ? h("span", { class: "muted small", text: help }) : null);
}

function input(value, onInput, attrs = {}) {
  return h("input", { class: "input", value: value ?? "", autocomplete: "off", ...attrs,
    oninput: (event) => onInput(event.target.value) });
}

function number(value, onInput, attrs = {}) {
  return input(value, (text) => onInput(text === "" ? null : Number(text)), { type: "number", min: 0, ...attrs });
}

function select(options, value, onPick, attrs = {}) {
  const el = h("select", { class: "input", ...attrs, onchange: (event) => onPick(event.target.value) },
    ...options.map(([key, label]) => h("option", { value: key, text: label })));
  el.value = value === null || value === undefined ? "" : String(value);
  return el;
}

function check(label, checked, onPick) {
  const id = uid();
  return h("div", { class: "jr-check" },
    h("input", { type: "checkbox", id, checked: Boolean(checked), onchange: (event) => onPick(event.target.checked) }),
    h("label", { for: id, text: label }));
}

/** A per-locale text: one box per language (en, zh-Hant, ja). */
function localeTexts(legend, holder, key, onChange, rows = 3) {
  if (!holder[key] || typeof holder[key] !== "object") holder[key] = { en: typeof holder[key] === "string" ? holder[key] : "" };
  const box = h("fieldset", { class: "jr-fieldset" }, h("legend", { text: legend }));
  for (const locale of LOCALES) {
    const area = h("textarea", { class: "input", rows, lang: locale, "data-locale": locale,
      oninput: (event) => { holder[key][locale] = event.target.value; onChange(); } });
    area.value = holder[key][locale] || "";
    box.append(field(LANGUAGE[locale], area));
  }
  return box;
}

function listInput(label, list, onPick, help) {
  return field(label, input((list || []).join(", "), (text) => onPick(words(text))), help || t("jr_comma_separated"));
}

/** The panel of one editor; `context` has boot, flows (for start_flow), segments, onChange, onDelete,
 * onStart, onPreview. */
export class Panel {
  constructor(form, empty, title, context) {
    this.form = form;
    this.empty = empty;
    this.title = title;
    this.context = context;
    this.readOnly = false;
  }

  close() {
    clear(this.form);
    this.form.hidden = true;
    this.empty.hidden = false;
    this.title.textContent = t("jr_settings");
    this.shown = null;
  }

  changed(redraw = true) {
    this.context.onChange(redraw);
  }

  showNode(definition, node, { focus = false } = {}) {
    this.shown = { kind: "node", id: node.id };
    clear(this.form);
    this.form.hidden = false;
    this.empty.hidden = true;
    this.title.textContent = t("jr_step_settings", { step: stepName(node.type), id: node.id });
    this.form.dataset.node = node.id;
    this.form.append(...this.nodeFields(node));
    this.form.append(this.connections(definition, node));
    const actions = h("div", { class: "row jr-panel-actions" });
    if (definition.start !== node.id) {
      actions.append(h("button", { type: "button", class: "btn btn-small", text: t("jr_make_start"),
        onclick: () => this.context.onStart(node.id) }));
    } else {
      actions.append(h("span", { class: "badge", text: t("jr_start_step") }));
    }
    actions.append(h("button", { type: "button", class: "btn btn-small btn-danger", text: t("jr_delete_step"),
      "aria-label": t("jr_delete_named", { id: node.id }), onclick: () => this.context.onDelete(node.id) }));
    this.form.append(actions);
    this.lock();
    if (focus) {
      const first = this.form.querySelector("input, select, textarea, button");
      if (first) first.focus();
    }
  }

  /** Escape in the panel goes back to the step on the graph. */
  escapes(onEscape) {
    this.form.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.shown && this.shown.kind === "node") {
        event.preventDefault();
        onEscape(this.shown.id);
      }
    });
  }

  lock() {
    if (!this.readOnly) return;
    for (const el of this.form.querySelectorAll("input, select, textarea, button")) el.disabled = true;
  }

  connections(definition, node) {
    const box = h("fieldset", { class: "jr-fieldset jr-connections" }, h("legend", { text: t("jr_exits") }));
    const ports = portsOf(node);
    if (!ports.length) box.append(h("p", { class: "muted small", text: t("jr_no_exits") }));
    const targets = definition.nodes.filter((other) => other.id !== node.id);
    for (const port of ports) {
      const edge = edgeFrom(definition, node.id, port);
      const options = [["", t("jr_not_connected")],
        ...targets.map((other) => [other.id, `${other.id} · ${stepName(other.type)} ${summary(other, document.documentElement.lang).slice(0, 24)}`.trim()])];
      box.append(field(t("jr_port_goes_to", { port: portName(port) }),
        select(options, edge ? edge.to : "", (target) => { connect(definition, node.id, port, target || null); this.changed(); },
          { "data-port": port })));
    }
    return box;
  }

  nodeFields(node) {
    const config = node.config;
    const change = () => this.changed();
    const set = (key) => (value) => { if (value === null || value === "" || (Array.isArray(value) && !value.length)) delete config[key]; else config[key] = value; change(); };
    switch (node.type) {
      case "send_message": return this.messageFields(node, change, set);
      case "wait": return this.waitFields(config, change);
      case "wait_reply":
        return [field(t("jr_timeout_minutes"), number(config.timeout_minutes, set("timeout_minutes"), { min: 1 }), t("jr_timeout_help")),
          // applied when the field is left (change): re-drawing the exits on each key would eat a typed comma
          field(t("jr_reply_buttons"), h("input", { class: "input", value: (config.buttons || []).join(", "), autocomplete: "off",
            onchange: (event) => { set("buttons")(words(event.target.value)); this.showAgain(node); } }), t("jr_reply_buttons_help"))];
      case "branch": return this.branchFields(config, change);
      case "split": return this.splitFields(node, change);
      case "tag":
        return [listInput(t("jr_tags_add"), config.add, (list) => { config.add = list; change(); }),
          listInput(t("jr_tags_remove"), config.remove, (list) => { config.remove = list; change(); })];
      case "set_field":
        return [field(t("jr_field_name"), input(config.field, set("field"))), field(t("jr_field_value"), input(config.value, (value) => { config.value = value; change(); }))];
      case "assign": return [this.teamPicker(config, set), this.agentPicker(config, set)];
      case "task":
        return [localeTexts(t("jr_task_title"), config, "title", change, 2),
          field(t("jr_due_in_hours"), number(config.due_in_hours, set("due_in_hours"), { min: 1 })),
          this.teamPicker(config, set), this.agentPicker(config, set)];
      case "start_flow": {
        const flows = (this.context.flows() || []).filter((flow) => flow.id !== this.context.boot.flow_id);
        return [field(t("jr_flow_to_start"), select([["", t("jr_choose")], ...flows.map((flow) => [flow.id, flow.name])],
          config.flow_id, (value) => set("flow_id")(value ? Number(value) : null)))];
      }
      case "http":
        return [field(t("jr_http_method"), select([["POST", "POST"], ["GET", "GET"]], config.method || "POST", set("method"))),
          field(t("jr_http_url"), input(config.url, set("url"), { type: "url", placeholder: "https://" })),
          this.jsonField(t("jr_http_body"), config.body, (value) => set("body")(value))];
      case "goal":
        return [field(t("jr_within_hours"), number(config.within_hours, set("within_hours"), { min: 1 }), t("jr_goal_help"))];
      case "csat": return [h("p", { class: "muted small", text: t("jr_csat_help") })];
      case "end": return [h("p", { class: "muted small", text: t("jr_end_help") })];
      case "bot_menu":
        return [localeTexts(t("jr_bot_menu_text"), config, "text", change, 2), this.optionFields(node, change),
          field(t("jr_timeout_minutes"), number(config.timeout_minutes, set("timeout_minutes"), { min: 1 }), t("jr_bot_timeout_help")),
          check(t("jr_bot_match_first"), config.match_first !== false, (value) => { config.match_first = value; change(); }),
          field(t("jr_bot_on_other"), select([["ask", t("jr_bot_on_other_ask")], ["restart", t("jr_bot_on_other_restart")]],
            config.on_other || "ask", set("on_other")))];
      case "bot_faq":
        return [localeTexts(t("jr_bot_prompt"), config, "prompt", change, 2),
          field(t("jr_bot_threshold"), number(config.threshold, set("threshold"), { min: 0, max: 1, step: 0.05 }), t("jr_bot_threshold_help")),
          field(t("jr_bot_on_miss"), select([["ask", t("jr_bot_on_miss_ask")], ["handoff", t("jr_bot_on_miss_handoff")]],
            config.on_miss || "ask", set("on_miss"))),
          field(t("jr_timeout_minutes"), number(config.timeout_minutes, set("timeout_minutes"), { min: 1 }), t("jr_bot_timeout_help"))];
      case "bot_collect":
        return [field(t("jr_bot_field"), select(["email", "phone", "date", "order_number"].map((kind) => [kind, t(`jr_collect_${kind}`)]),
          config.field || "email", set("field"))),
          localeTexts(t("jr_bot_prompt"), config, "prompt", change, 2),
          field(t("jr_bot_retries"), number(config.retries ?? 2, set("retries"), { min: 0, max: 5 })),
          field(t("jr_timeout_minutes"), number(config.timeout_minutes, set("timeout_minutes"), { min: 1 }), t("jr_bot_timeout_help"))];
      case "bot_order_status": return [h("p", { class: "muted small", text: t("jr_bot_orders_help") })];
      case "bot_products":
        return [localeTexts(t("jr_bot_prompt"), config, "prompt", change, 2),
          field(t("jr_bot_products_limit"), number(config.limit ?? 5, set("limit"), { min: 1, max: 10 })),
          field(t("jr_timeout_minutes"), number(config.timeout_minutes, set("timeout_minutes"), { min: 1 }), t("jr_bot_timeout_help")),
          h("p", { class: "muted small", text: t("jr_bot_products_help") })];
      case "bot_points": return [h("p", { class: "muted small", text: t("jr_bot_points_help") })];
      case "bot_hours": return [localeTexts(t("jr_bot_away"), config, "text", change, 2), h("p", { class: "muted small", text: t("jr_bot_away_help") })];
      case "handoff":
        return [field(t("jr_bot_reason"), input(config.reason, set("reason"), { maxlength: 20 })), this.teamPicker(config, set),
          localeTexts(t("jr_bot_handoff_text"), config, "text", change, 2), h("p", { class: "muted small", text: t("jr_bot_handoff_help") })];
      default:
        return [this.jsonField(t("jr_config_json"), config, (value) => { node.config = value || {}; change(); })];
    }
  }

  /** A menu's options: an id (its exit is `option:<id>`), a title per language and words that also pick it. */
  optionFields(node, change) {
    const config = node.config;
    config.options = config.options || [];
    const box = h("fieldset", { class: "jr-fieldset" }, h("legend", { text: t("jr_bot_options") }));
    config.options.forEach((option, index) => {
      const row = h("fieldset", { class: "jr-fieldset" }, h("legend", { text: t("jr_bot_option", { n: index + 1 }) }),
        field(t("jr_bot_option_id"), h("input", { class: "input", value: option.id || "", autocomplete: "off", maxlength: 40,
          onchange: (event) => { option.id = event.target.value.trim(); change(); this.showAgain(node); } })),
        localeTexts(t("jr_bot_option_title"), option, "title", change, 1),
        listInput(t("jr_bot_option_keywords"), option.keywords, (list) => { option.keywords = list; change(); }),
        h("button", { type: "button", class: "btn btn-small", text: t("jr_bot_remove_option"), onclick: () => {
          config.options.splice(index, 1); change(); this.showAgain(node);
        } }));
      box.append(row);
    });
    box.append(h("button", { type: "button", class: "btn btn-small", text: t("jr_bot_add_option"), onclick: () => {
      config.options.push({ id: `o${config.options.length + 1}`, title: { en: "", "zh-Hant": "", ja: "" }, keywords: [] });
      change(); this.showAgain(node);
    } }));
    return box;
  }

  showAgain(node) {
    const focused = document.activeElement;
    const index = [...this.form.querySelectorAll("input, select, textarea")].indexOf(focused);
    this.showNode(this.context.definition(), node);
    const again = this.form.querySelectorAll("input, select, textarea")[index];
    if (again) again.focus();
  }

  jsonField(label, value, onPick) {
    const area = h("textarea", { class: "input jr-json", rows: 4, spellcheck: "false" });
    area.value = value === undefined ? "" : JSON.stringify(value, null, 2);
    const error = h("span", { class: "error small", role: "alert" });
    area.addEventListener("input", () => {
      if (!area.value.trim()) { error.textContent = ""; onPick(undefined); return; }
      try {
        onPick(JSON.parse(area.value));
        error.textContent = "";
      } catch {
        error.textContent = t("jr_bad_json");
      }
    });
    const wrap = field(label, area);
    wrap.append(error);
    return wrap;
  }

  messageFields(node, change, set) {
    const config = node.config;
    const parts = [localeTexts(t("jr_message_text"), config, "text", change, 4),
      h("p", { class: "muted small", text: t("jr_placeholders") })];
    const buttons = h("fieldset", { class: "jr-fieldset" }, h("legend", { text: t("jr_buttons") }));
    (config.buttons || []).forEach((button, index) => {
      const row = h("div", { class: "jr-button-row" },
        field(t("jr_button_id"), input(button.id, (value) => { button.id = value; change(); }, { maxlength: 40 })),
        localeTexts(t("jr_button_title"), button, "title", change, 1),
        h("button", { type: "button", class: "btn btn-small", text: t("jr_remove_button"),
          onclick: () => { config.buttons.splice(index, 1); if (!config.buttons.length) delete config.buttons; change(); this.showAgain(node); } }));
      buttons.append(row);
    });
    buttons.append(h("button", { type: "button", class: "btn btn-small", text: t("jr_add_button"),
      onclick: () => { config.buttons = config.buttons || []; config.buttons.push({ id: `b${config.buttons.length + 1}`, title: { en: "", "zh-Hant": "", ja: "" } }); change(); this.showAgain(node); } }));
    parts.push(buttons,
      listInput(t("jr_product_ids"), (config.product_ids || []).map(String), (list) => set("product_ids")(list.map(Number).filter((id) => Number.isInteger(id) && id > 0))),
      check(t("jr_payment_link"), config.payment_link, (value) => set("payment_link")(value || null)),
      field(t("jr_coupon_code"), input(config.coupon_code, set("coupon_code"), { maxlength: 40 })),
      field(t("jr_media_url"), input(config.media_url, set("media_url"), { type: "url", placeholder: "https://" })));
    const template = config.template || {};
    const setTemplate = (key) => (value) => {
      const next = { ...(config.template || {}), [key]: value };
      if (!next.name && !next.language) delete config.template; else config.template = next;
      change();
    };
    parts.push(h("fieldset", { class: "jr-fieldset" }, h("legend", { text: t("jr_whatsapp_template") }),
      h("p", { class: "muted small", text: t("jr_template_help") }),
      field(t("jr_template_name"), input(template.name, setTemplate("name"))),
      field(t("jr_template_language"), input(template.language, setTemplate("language"), { placeholder: "en_US" }))));
    parts.push(this.previewBox(node));
    return parts;
  }

  previewBox(node) {
    const channels = this.context.boot.channels || [];
    const box = h("fieldset", { class: "jr-fieldset jr-preview" }, h("legend", { text: t("jr_preview") }));
    if (!channels.length) {
      box.append(h("p", { class: "muted small", text: t("jr_preview_no_channel") }));
      return box;
    }
    const channel = select(channels.map((item) => [item.id, `${item.name} (${item.kind})`]), channels[0].id, () => {});
    const locale = select(LOCALES.map((code) => [code, LANGUAGE[code]]), document.documentElement.lang === "ja" ? "ja" : document.documentElement.lang === "zh-Hant" ? "zh-Hant" : "en", () => {});
    const out = h("div", { class: "jr-preview-out", "aria-live": "polite" });
    box.append(field(t("jr_preview_channel"), channel), field(t("jr_preview_locale"), locale),
      h("button", { type: "button", class: "btn btn-small", text: t("jr_show_preview"),
        onclick: () => this.context.onPreview(node, Number(channel.value), locale.value, out) }), out);
    return box;
  }

  waitFields(config, change) {
    const mode = config.until_time ? "until_time" : config.until_field ? "until_field" : "minutes";
    const parts = [field(t("jr_wait_kind"), select([["minutes", t("jr_wait_duration")], ["until_time", t("jr_wait_until_time")],
      ["until_field", t("jr_wait_until_field")]], mode, (value) => {
      for (const key of ["minutes", "until_time", "until_field", "days_before"]) delete config[key];
      if (value === "minutes") config.minutes = 60;
      if (value === "until_time") config.until_time = "10:00";
      if (value === "until_field") config.until_field = "birthday";
      change();
      this.showAgain(this.currentNode());
    }))];
    if (mode === "minutes") {
      const minutes = Number(config.minutes) || 0;
      const unit = minutes && minutes % 1440 === 0 ? 1440 : minutes && minutes % 60 === 0 ? 60 : 1;
      const amount = number(minutes / unit, () => apply(), { min: 1, "data-role": "amount" });
      const units = select([[1, t("jr_unit_minutes")], [60, t("jr_unit_hours")], [1440, t("jr_unit_days")]], unit, () => apply(), { "data-role": "unit" });
      const apply = () => { config.minutes = Math.round(Number(amount.value || 0) * Number(units.value)); change(); };
      parts.push(field(t("jr_wait_for"), amount), field(t("jr_wait_unit"), units));
    } else if (mode === "until_time") {
      parts.push(field(t("jr_until_time"), input(config.until_time, (value) => { config.until_time = value; change(); }, { type: "time" }), t("jr_contact_zone")));
    } else {
      parts.push(field(t("jr_until_field"), input(config.until_field, (value) => { config.until_field = value; change(); })),
        field(t("jr_days_before"), number(config.days_before ?? 0, (value) => { config.days_before = value || 0; change(); })));
    }
    return parts;
  }

  currentNode() {
    const definition = this.context.definition();
    return definition.nodes.find((node) => node.id === this.shown.id);
  }

  branchFields(config, change) {
    const condition = config.condition || {};
    const kind = condition.reply_matches ? "reply" : "tag" in condition ? "tag" : condition.lifecycle ? "lifecycle"
      : condition.has_channel ? "channel" : condition.field ? "field" : condition.orders ? "orders" : "json";
    const pick = select([["tag", t("cmp_cond_tag")], ["reply", t("jr_cond_reply")], ["lifecycle", t("cmp_cond_lifecycle")],
      ["channel", t("cmp_cond_has_channel")], ["field", t("cmp_cond_field")], ["orders", t("cmp_orders_count_gte")],
      ["json", t("jr_cond_json")]], kind, (value) => {
      const fresh = { tag: { tag: "" }, reply: { reply_matches: { tag: "" } }, lifecycle: { lifecycle: [] },
        channel: { has_channel: "whatsapp" }, field: { field: "", op: "eq", value: "" }, orders: { orders: { count_gte: 1 } },
        json: { all: [] } };
      config.condition = fresh[value];
      change();
      this.showAgain(this.currentNode());
    });
    const parts = [field(t("jr_condition_kind"), pick), h("p", { class: "muted small", text: t("jr_branch_help") })];
    const c = config.condition = condition;
    if (kind === "tag") parts.push(field(t("cmp_tag_name"), input(c.tag, (value) => { c.tag = value; change(); })));
    if (kind === "reply") parts.push(field(t("jr_reply_tag"), input(c.reply_matches.tag, (value) => { c.reply_matches.tag = value; change(); }), t("jr_reply_tag_help")));
    if (kind === "lifecycle") {
      const box = h("fieldset", { class: "jr-fieldset jr-cells" }, h("legend", { text: t("cmp_lifecycle_cells") }));
      const cells = new Set([].concat(c.lifecycle || []));
      for (const cell of this.context.boot.lifecycle_cells || []) {
        box.append(check(t(`cmp_cell_${String(cell).replace(" ", "_")}`), cells.has(cell), (on) => {
          if (on) cells.add(cell); else cells.delete(cell);
          c.lifecycle = [...cells];
          change();
        }));
      }
      parts.push(box);
    }
    if (kind === "channel") {
      parts.push(field(t("cmp_channel_kind"), select((this.context.boot.channel_kinds || []).map((value) => [value, t(`cmp_kind_${value}`)]),
        c.has_channel, (value) => { c.has_channel = value; change(); })));
    }
    if (kind === "field") {
      parts.push(field(t("cmp_field_name"), input(c.field, (value) => { c.field = value; change(); })),
        field(t("cmp_field_op"), select(["eq", "ne", "contains", "exists"].map((op) => [op, t(`cmp_op_${op}`)]), c.op || "eq", (value) => { c.op = value; change(); })),
        field(t("cmp_field_value"), input(c.value, (value) => { c.value = value; change(); })));
    }
    if (kind === "orders") {
      parts.push(field(t("cmp_orders_count_gte"), number(c.orders.count_gte, (value) => { c.orders = { count_gte: value || 0 }; change(); })));
    }
    if (kind === "json") parts.push(this.jsonField(t("jr_condition_json"), c, (value) => { config.condition = value || {}; change(); }));
    return parts;
  }

  splitFields(node, change) {
    const config = node.config;
    config.variants = config.variants || [];
    const box = h("fieldset", { class: "jr-fieldset" }, h("legend", { text: t("jr_variants") }));
    config.variants.forEach((variant, index) => {
      box.append(h("div", { class: "jr-variant-row" },
        field(t("jr_variant_port"), input(variant.port, (value) => { variant.port = value.trim(); change(); }, { maxlength: 20 })),
        field(t("jr_variant_percent"), number(variant.percent, (value) => { variant.percent = value || 0; change(); }, { max: 100 })),
        h("button", { type: "button", class: "btn btn-small", text: t("jr_remove_variant"),
          onclick: () => { config.variants.splice(index, 1); change(); this.showAgain(node); } })));
    });
    const total = config.variants.reduce((sum, variant) => sum + (Number(variant.percent) || 0), 0);
    box.append(h("p", { class: total === 100 ? "muted small" : "error small", text: t("jr_split_total", { total }) }),
      h("button", { type: "button", class: "btn btn-small", text: t("jr_add_variant"),
        onclick: () => { config.variants.push({ port: String.fromCharCode(97 + config.variants.length), percent: 0 }); change(); this.showAgain(node); } }));
    return [box];
  }

  teamPicker(config, set) {
    const teams = this.context.boot.teams || [];
    return field(t("jr_team"), select([["", t("jr_nobody")], ...teams.map((team) => [team.id, team.name])], config.team_id,
      (value) => set("team_id")(value ? Number(value) : null)));
  }

  agentPicker(config, set) {
    const agents = this.context.boot.agents || [];
    return field(t("jr_agent"), select([["", t("jr_nobody")], ...agents.map((agent) => [agent.id, agent.name])], config.agent_id,
      (value) => set("agent_id")(value ? Number(value) : null)));
  }

  showTrigger(definition, { focus = false } = {}) {
    this.shown = { kind: "trigger" };
    clear(this.form);
    this.form.hidden = false;
    this.empty.hidden = true;
    delete this.form.dataset.node;
    this.title.textContent = t("jr_trigger_settings");
    const trigger = definition.trigger;
    const config = trigger.config;
    const change = () => this.changed();
    const set = (key) => (value) => { if (value === null || value === "" || (Array.isArray(value) && !value.length)) delete config[key]; else config[key] = value; change(); };
    const type = select(TRIGGERS.map((value) => [value, triggerName(value)]), trigger.type, (value) => {
      trigger.type = value;
      trigger.config = value === "cart_abandoned" ? { after_minutes: 60 } : value === "date_field" ? { field: "birthday", days_before: 0, at: "10:00" } : {};
      change();
      this.showTrigger(definition);
      this.form.querySelector("select").focus();
    }, { id: "trigger-type" });
    this.form.append(field(t("jr_trigger_type"), type));
    const channels = this.context.boot.channels || [];
    const channelChecks = () => {
      const box = h("fieldset", { class: "jr-fieldset" }, h("legend", { text: t("jr_trigger_channels") }));
      const chosen = new Set(config.channel_ids || []);
      for (const channel of channels) {
        box.append(check(`${channel.name} (${channel.kind})`, chosen.has(channel.id), (on) => {
          if (on) chosen.add(channel.id); else chosen.delete(channel.id);
          set("channel_ids")([...chosen]);
        }));
      }
      box.append(h("p", { class: "muted small", text: t("jr_any_channel") }));
      return box;
    };
    const cellChecks = (key, legend) => {
      const box = h("fieldset", { class: "jr-fieldset jr-cells" }, h("legend", { text: legend }));
      const chosen = new Set(config[key] || []);
      for (const cell of this.context.boot.lifecycle_cells || []) {
        box.append(check(t(`cmp_cell_${String(cell).replace(" ", "_")}`), chosen.has(cell), (on) => {
          if (on) chosen.add(cell); else chosen.delete(cell);
          set(key)([...chosen]);
        }));
      }
      return box;
    };
    const segments = this.context.segments() || [];
    const segmentPick = () => field(t("jr_segment"), select([["", t("jr_choose")], ...segments.map((segment) => [segment.id, segment.name])],
      config.segment_id, (value) => set("segment_id")(value ? Number(value) : null)));
    switch (trigger.type) {
      case "message_received":
        this.form.append(listInput(t("jr_keywords"), config.keywords, set("keywords")), listInput(t("jr_trigger_tags"), config.tags, set("tags")), channelChecks());
        break;
      case "conversation_opened": case "conversation_resolved":
        this.form.append(channelChecks());
        break;
      case "tag_added": case "tag_removed":
        this.form.append(listInput(t("jr_trigger_tags"), config.tags, set("tags")));
        break;
      case "order_paid":
        this.form.append(field(t("jr_min_total"), number(config.min_total_minor, set("min_total_minor")), t("jr_min_total_help")));
        break;
      case "cart_abandoned":
        this.form.append(field(t("jr_after_minutes"), number(config.after_minutes, set("after_minutes"), { min: 1 })));
        break;
      case "lifecycle_changed":
        this.form.append(cellChecks("from", t("jr_cells_from")), cellChecks("to", t("jr_cells_to")));
        break;
      case "tier_changed":
        this.form.append(listInput(t("jr_tiers_to"), config.to, set("to"), t("jr_tiers_to_help")));
        break;
      case "date_field":
        this.form.append(field(t("jr_date_field"), input(config.field, set("field"), { list: "jr-date-fields" })),
          h("datalist", { id: "jr-date-fields" }, h("option", { value: "birthday" }), h("option", { value: "anniversary" })),
          field(t("jr_days_before"), number(config.days_before ?? 0, (value) => { config.days_before = value || 0; change(); })),
          field(t("jr_at_time"), input(config.at, set("at"), { type: "time" }), t("jr_contact_zone")));
        break;
      case "segment_entered":
        this.form.append(segmentPick());
        break;
      case "schedule":
        this.form.append(field(t("jr_cron"), input(config.cron, set("cron"), { placeholder: "0 10 1-7 * 1" }), t("jr_cron_help")),
          segmentPick(), field(t("jr_timezone"), input(config.timezone, set("timezone"), { placeholder: "Asia/Hong_Kong" })));
        break;
      default:
        this.form.append(h("p", { class: "muted small", text: t(`jr_trigger_help_${trigger.type}`) }));
    }
    this.form.append(this.settingsFields(definition));
    this.lock();
    if (focus) type.focus();
  }

  settingsFields(definition) {
    const settings = definition.settings;
    const change = () => this.changed(false);
    const goal = settings.goal || null;
    const box = h("fieldset", { class: "jr-fieldset" }, h("legend", { text: t("jr_entry_rules") }),
      check(t("jr_allow_parallel"), settings.allow_parallel_runs, (value) => { settings.allow_parallel_runs = value; change(); }),
      field(t("jr_reentry_days"), number(settings.reentry_after_days, (value) => { settings.reentry_after_days = value; change(); }), t("jr_reentry_help")),
      check(t("jr_exit_on_human"), settings.exit_on_human !== false, (value) => { settings.exit_on_human = value; change(); }),
      field(t("jr_max_lateness"), number(settings.max_lateness_minutes ?? 1440, (value) => { settings.max_lateness_minutes = value; change(); }), t("jr_max_lateness_help")),
      check(t("jr_goal_order"), Boolean(goal), (value) => { settings.goal = value ? { event: "order_paid", within_hours: 72 } : null; change(); this.showTrigger(definition); }));
    if (goal) box.append(field(t("jr_within_hours"), number(goal.within_hours, (value) => { goal.within_hours = value; change(); }, { min: 1 })));
    box.append(this.quietFields(definition, change));
    return box;
  }

  /** The flow's quiet hours: the shop's, its own start and end, or none. */
  quietFields(definition, change) {
    const settings = definition.settings;
    const quiet = settings.quiet_hours === undefined ? "shop" : settings.quiet_hours;
    const mode = quiet === null ? "off" : typeof quiet === "object" ? "own" : "shop";
    const box = h("div", { class: "jr-quiet" }, field(t("jr_quiet_hours"), select(
      [["shop", t("jr_quiet_shop")], ["own", t("jr_quiet_own")], ["off", t("jr_quiet_off")]], mode, (value) => {
        settings.quiet_hours = value === "off" ? null : value === "own" ? { start: "21:00", end: "08:00" } : "shop";
        change();
        this.showTrigger(definition);
      }, { "data-setting": "quiet_hours" }), t("jr_quiet_help")));
    if (mode === "own") {
      const time = (key) => input(quiet[key], (value) => { quiet[key] = value; change(); },
        { type: "time", "data-setting": `quiet_${key}` });
      box.append(field(t("jr_quiet_start"), time("start")), field(t("jr_quiet_end"), time("end")));
    }
    return box;
  }
}
