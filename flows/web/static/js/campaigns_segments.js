// The segment builder: conditions joined by all / any, with groups of their own (all, any or none of
// their conditions) nested inside, a live count with some members (POST /api/v1/segments/preview,
// debounced), and saving, renaming and deleting segments.

import { call } from "./admin_api.js";
import { $, clear, debounce, h } from "./dom.js";
import { t } from "./i18n.js";

const KINDS = ["tag", "has_channel", "field", "consent", "locale", "last_inbound", "orders", "lifecycle", "group"];
const MAX_DEPTH = 6; // groups inside groups; the API takes 8 levels
const FIELD_OPS = ["eq", "ne", "in", "contains", "exists"];
const ORDER_KEYS = ["count_gte", "count_lte", "total_gte", "total_lte", "last_within_days", "last_before_days"];

let boot = {};
let notify = () => {};
let onChange = () => {};
const state = { segments: [], editing: null, serial: 0, raw: null, asked: 0 };

function words(text) {
  return String(text).split(/[\n,，、]/).map((word) => word.trim()).filter(Boolean);
}

function field(labelText, control) {
  const id = `seg-${++state.serial}`;
  control.id = id;
  return h("label", { class: "cond-field", for: id }, h("span", { text: labelText }), control);
}

function select(options, value, className = "input") {
  const el = h("select", { class: className });
  for (const [optionValue, label] of options) {
    const option = h("option", { value: optionValue, text: label });
    if (optionValue === value) option.selected = true;
    el.append(option);
  }
  return el;
}

function input(value, attrs = {}) {
  const el = h("input", { class: "input", autocomplete: "off", ...attrs });
  el.value = value === undefined || value === null ? "" : String(value);
  return el;
}

/* One condition row: its controls and how it reads back to JSON (null while incomplete). */

function conditionRow(kind, value = {}, depth = 0) {
  const fields = h("div", { class: "condition-fields" });
  let read = () => null;
  if (kind === "tag") {
    const name = input(value.tag, { maxlength: 500 });
    fields.append(field(t("cmp_tag_name"), name));
    read = () => (name.value.trim() ? { tag: name.value.trim() } : null);
  } else if (kind === "has_channel") {
    const kinds = select((boot.channel_kinds || []).map((k) => [k, t(`cmp_kind_${k}`)]), value.has_channel);
    fields.append(field(t("cmp_channel_kind"), kinds));
    read = () => ({ has_channel: kinds.value });
  } else if (kind === "field") {
    const name = input(value.field, { maxlength: 200, placeholder: "city" });
    const op = select(FIELD_OPS.map((o) => [o, t(`cmp_op_${o}`)]), value.op || "eq");
    const wanted = input(Array.isArray(value.value) ? value.value.join(", ") : value.value, { maxlength: 500 });
    const sync = () => { wanted.disabled = op.value === "exists"; };
    op.addEventListener("change", sync);
    sync();
    fields.append(field(t("cmp_field_name"), name), field(t("cmp_field_op"), op), field(t("cmp_field_value"), wanted));
    read = () => {
      const key = name.value.trim();
      if (!key) return null;
      if (op.value === "exists") return { field: key, op: "exists" };
      const text = wanted.value.trim();
      if (!text) return null;
      return { field: key, op: op.value, value: op.value === "in" ? words(text) : text };
    };
  } else if (kind === "consent") {
    const consent = select([["opted_in", t("cmp_consent_opted_in")], ["not_opted_out", t("cmp_consent_not_opted_out")]],
      value.consent);
    fields.append(field(t("cmp_consent"), consent));
    read = () => ({ consent: consent.value });
  } else if (kind === "locale") {
    const locales = input((value.locale || []).join(", "), { maxlength: 500, placeholder: "zh, ja" });
    fields.append(field(t("cmp_locales"), locales));
    read = () => (words(locales.value).length ? { locale: words(locales.value) } : null);
  } else if (kind === "last_inbound") {
    const given = value.last_inbound || {};
    const which = select([["within_days", t("cmp_within_days")], ["not_within_days", t("cmp_not_within_days")]],
      "not_within_days" in given ? "not_within_days" : "within_days");
    const days = input(given.within_days ?? given.not_within_days ?? 30, { type: "number", min: 0, max: 36500, step: 1 });
    fields.append(field(t("cmp_last_message"), which), field(t("cmp_days"), days));
    read = () => (/^\d+$/.test(days.value) ? { last_inbound: { [which.value]: Number(days.value) } } : null);
  } else if (kind === "orders") {
    const given = value.orders || {};
    const key = ORDER_KEYS.find((k) => k in given) || "count_gte";
    const which = select(ORDER_KEYS.map((k) => [k, t(`cmp_orders_${k}`)]), key);
    const number = input(given[key] ?? 1, { type: "number", min: 0, step: 1 });
    const currency = input(given.currency, { maxlength: 3, placeholder: "HKD", class: "input narrow" });
    fields.append(field(t("cmp_orders"), which), field(t("cmp_number"), number), field(t("cmp_currency"), currency));
    read = () => {
      if (!/^\d+$/.test(number.value)) return null;
      const out = { [which.value]: Number(number.value) };
      const code = currency.value.trim().toUpperCase();
      if (code) out.currency = code;
      return { orders: out };
    };
  } else if (kind === "lifecycle") {
    const chosen = new Set(value.lifecycle || []);
    const box = h("fieldset", { class: "checks lifecycle-checks" }, h("legend", { text: t("cmp_lifecycle_cells") }));
    const checks = (boot.lifecycle_cells || []).map((cell) => {
      const check = h("input", { type: "checkbox", value: cell });
      check.checked = chosen.has(cell);
      box.append(h("label", { class: "check" }, check, ` ${t(`cmp_cell_${cell.replace(" ", "_")}`)}`));
      return check;
    });
    fields.append(box);
    read = () => {
      const cells = checks.filter((c) => c.checked).map((c) => c.value);
      return cells.length ? { lifecycle: cells } : null;
    };
  } else if (kind === "group") {
    const group = groupOf(value, depth + 1);
    fields.append(group.box);
    read = group.read;
  }
  const row = h("li", { class: "condition", dataset: { kind } },
    h("div", { class: "condition-head" }, h("strong", { text: t(`cmp_cond_${kind}`) }),
      h("button", { type: "button", class: "btn btn-small", text: t("cmp_remove"),
        "aria-label": t("cmp_remove_condition", { kind: t(`cmp_cond_${kind}`) }),
        onclick: () => { row.remove(); changed(); } })),
    fields);
  row.readCondition = read;
  return row;
}

/* A group: all, any or none of its own conditions, which may be groups again. */

function groupOf(value, depth) {
  const negated = "not" in value;
  const inner = negated ? value.not : value;
  const match = negated ? "none" : ("any" in inner ? "any" : "all");
  const which = select([["all", t("cmp_group_all")], ["any", t("cmp_group_any")], ["none", t("cmp_group_none")]],
    match);
  const list = h("ol", { class: "condition-list nested" });
  for (const condition of inner.all || inner.any || []) list.append(conditionRow(kindOf(condition), condition, depth));
  const kinds = select(KINDS.filter((kind) => kind !== "group" || depth < MAX_DEPTH)
    .map((kind) => [kind, t(`cmp_cond_${kind}`)]), "tag");
  const add = h("button", { type: "button", class: "btn btn-small", text: t("cmp_add_condition"),
    onclick: () => {
      const row = conditionRow(kinds.value, {}, depth);
      list.append(row);
      const first = row.querySelector("input, select");
      if (first) first.focus();
      changed();
    } });
  const box = h("div", { class: "condition-group" }, field(t("cmp_group_match"), which), list,
    h("div", { class: "row" }, field(t("cmp_condition_kind"), kinds), add));
  const read = () => {
    const conditions = [...list.children].map((row) => row.readCondition()).filter(Boolean);
    if (!conditions.length) return null;
    return which.value === "none" ? { not: { any: conditions } } : { [which.value]: conditions };
  };
  return { box, read };
}

function kindOf(condition) {
  if ("all" in condition || "any" in condition || "not" in condition) return "group";
  return KINDS.find((kind) => kind in condition);
}

/** The definition being built: {"all"|"any": [conditions]} (incomplete rows left out). */
export function definition() {
  if (state.raw) return state.raw;
  const rows = [...$("#segment-conditions").children];
  const conditions = rows.map((row) => row.readCondition()).filter(Boolean);
  return { [$("#segment-match").value]: conditions };
}

/** Whether the builder can show a definition: all / any groups (and "none of" = not any) of conditions
 * it knows, nested at most MAX_DEPTH deep. */
function editableGroup(value, depth) {
  if (!value || typeof value !== "object" || Array.isArray(value) || depth > MAX_DEPTH) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  if (keys[0] === "not") return depth > 0 && editableGroup(value.not, depth) && "any" in value.not;
  if (!["all", "any"].includes(keys[0]) || !Array.isArray(value[keys[0]])) return false;
  return value[keys[0]].every((c) => editableItem(c, depth));
}

function editableItem(condition, depth) {
  if (!condition || typeof condition !== "object" || Array.isArray(condition)) return false;
  const kind = kindOf(condition);
  if (kind === "group") return editableGroup(condition, depth + 1);
  return Boolean(kind) && !("channel_id" in condition && kind !== "consent");
}

function editable(value) {
  return editableGroup(value, 0);
}

/* The live count */

function memberRow(member) {
  const channels = member.identities.map((i) => {
    const label = t(`identity_${i.kind}`);
    return label === `identity_${i.kind}` ? i.kind : label;
  });
  return h("li", { class: "segment-member" },
    h("span", { class: "member-name", text: member.name || t("unnamed_contact") }),
    h("span", { class: "muted small", text: [...new Set(channels)].join(" · ") }),
    member.tags.length ? h("span", { class: "small member-tags", text: member.tags.join(", ") }) : null);
}

async function refreshCount() {
  const asked = ++state.asked;
  const count = $("#segment-count");
  count.dataset.state = "loading";
  try {
    const result = await call("/api/v1/segments/preview", { method: "POST", body: { definition: definition(), limit: 20 } });
    if (asked !== state.asked) return;
    count.dataset.state = "ready";
    count.dataset.count = String(result.count);
    count.textContent = t("cmp_segment_count", { count: result.count });
    $("#segment-error").textContent = "";
    const list = clear($("#segment-members"));
    list.append(...result.members.map(memberRow));
  } catch (error) {
    if (asked !== state.asked) return;
    count.dataset.state = "error";
    count.textContent = "";
    clear($("#segment-members"));
    $("#segment-error").textContent = error.message;
  }
}

const changed = debounce(() => { refreshCount(); }, 300);

/* The list */

function segmentRow(segment) {
  const confirmBox = h("div", { class: "confirm", hidden: true },
    h("span", { text: t("cmp_delete_segment_confirm", { name: segment.name }) }),
    h("button", { type: "button", class: "btn btn-small btn-danger", text: t("cmp_delete"),
      onclick: () => remove(segment) }),
    h("button", { type: "button", class: "btn btn-small", text: t("cmp_keep"),
      onclick: () => { confirmBox.hidden = true; } }));
  return h("li", { class: "admin-row segment-row", dataset: { id: segment.id } },
    h("div", { class: "admin-row-main" }, h("strong", { class: "segment-name", text: segment.name })),
    h("div", { class: "admin-row-actions" },
      h("button", { type: "button", class: "btn btn-small", text: t("cmp_edit"),
        "aria-label": t("cmp_edit_named", { name: segment.name }), onclick: () => open(segment) }),
      h("button", { type: "button", class: "btn btn-small", text: t("cmp_delete"),
        "aria-label": t("cmp_delete_named", { name: segment.name }), onclick: () => { confirmBox.hidden = false; } })),
    confirmBox);
}

function drawList() {
  const list = clear($("#segment-list"));
  if (!state.segments.length) list.append(h("li", { class: "empty", text: t("cmp_no_segments") }));
  list.append(...state.segments.map(segmentRow));
}

export async function loadSegments() {
  state.segments = await call("/api/v1/segments");
  drawList();
  onChange(state.segments);
  return state.segments;
}

async function remove(segment) {
  try {
    await call(`/api/v1/segments/${segment.id}`, { method: "DELETE" });
    if (state.editing && state.editing.id === segment.id) close();
    notify(t("cmp_segment_deleted", { name: segment.name }));
    await loadSegments();
  } catch (error) {
    notify(error.message, true);
  }
}

/* The form */

function open(segment) {
  state.editing = segment;
  const form = $("#segment-form");
  form.hidden = false;
  $("#segment-form-title").textContent = segment ? t("cmp_edit_named", { name: segment.name }) : t("cmp_new_segment");
  $("#segment-name").value = segment ? segment.name : "";
  $("#segment-error").textContent = "";
  const list = clear($("#segment-conditions"));
  const value = segment ? segment.definition : { all: [] };
  state.raw = editable(value) ? null : value;
  $("#segment-raw").hidden = !state.raw;
  $("#segment-conditions-box").hidden = Boolean(state.raw);
  $("#segment-match").disabled = Boolean(state.raw);
  if (!state.raw) {
    const match = Object.keys(value)[0];
    $("#segment-match").value = match;
    for (const condition of value[match]) list.append(conditionRow(kindOf(condition), condition));
  }
  refreshCount();
  $("#segment-name").focus();
}

function close() {
  state.editing = null;
  state.raw = null;
  $("#segment-form").hidden = true;
}

async function save(event) {
  event.preventDefault();
  const name = $("#segment-name").value.trim();
  if (!name) {
    $("#segment-error").textContent = t("cmp_need_name");
    return;
  }
  const body = { name, definition: definition() };
  try {
    const saved = state.editing
      ? await call(`/api/v1/segments/${state.editing.id}`, { method: "PATCH", body })
      : await call("/api/v1/segments", { method: "POST", body });
    state.editing = saved;
    $("#segment-form-title").textContent = t("cmp_edit_named", { name: saved.name });
    notify(t("cmp_segment_saved", { name: saved.name }));
    await loadSegments();
  } catch (error) {
    $("#segment-error").textContent = error.message;
  }
}

export function segments() {
  return state.segments;
}

export function setupSegments(options) {
  boot = options.boot;
  notify = options.notify;
  onChange = options.onChange || onChange;
  const kinds = $("#add-segment-condition-type");
  for (const kind of KINDS) kinds.append(h("option", { value: kind, text: t(`cmp_cond_${kind}`) }));
  $("#add-segment-condition").addEventListener("click", () => {
    const row = conditionRow(kinds.value);
    $("#segment-conditions").append(row);
    const first = row.querySelector("input, select");
    if (first) first.focus();
    changed();
  });
  $("#segment-conditions").addEventListener("input", changed);
  $("#segment-conditions").addEventListener("change", changed);
  $("#segment-match").addEventListener("change", changed);
  $("#new-segment").addEventListener("click", () => open(null));
  $("#segment-cancel").addEventListener("click", close);
  $("#segment-form").addEventListener("submit", save);
}
