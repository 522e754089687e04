// The journeys editor's model: the step types (their output ports and a new step's config), the triggers,
// and the small pure helpers over a flow definition {trigger, start, nodes, edges, settings}
// (docs/flows.md). No DOM here.

import { t } from "./i18n.js";

export const LOCALES = ["en", "zh-Hant", "ja"];

/** Each step type: its output ports (wait_reply adds `button:<id>`, split its variants' ports) and a new
 * step's config. */
export const STEPS = {
  send_message: { ports: ["sent", "skipped"], config: () => ({ text: { en: "", "zh-Hant": "", ja: "" } }) },
  wait: { ports: ["next"], config: () => ({ minutes: 1440 }) },
  wait_reply: { ports: ["replied", "no_reply", "failed"], config: () => ({ timeout_minutes: 1440 }) },
  branch: { ports: ["yes", "no"], config: () => ({ condition: { tag: "" } }) },
  split: { ports: [], config: () => ({ variants: [{ port: "a", percent: 50 }, { port: "b", percent: 50 }] }) },
  tag: { ports: ["next"], config: () => ({ add: [], remove: [] }) },
  set_field: { ports: ["next"], config: () => ({ field: "", value: "" }) },
  assign: { ports: ["next"], config: () => ({}) },
  task: { ports: ["next"], config: () => ({ title: { en: "", "zh-Hant": "", ja: "" }, due_in_hours: 24 }) },
  start_flow: { ports: ["next"], config: () => ({}) },
  http: { ports: ["ok", "error"], config: () => ({ method: "POST", url: "https://" }) },
  goal: { ports: ["converted", "not_converted"], config: () => ({ within_hours: 72 }) },
  csat: { ports: ["sent", "not_sent"], config: () => ({}) },
  end: { ports: [], config: () => ({}) },
  // bots (trigger `bot`): they speak with the bot's voice and hand off to a person (docs/bots.md)
  bot_menu: { ports: ["no_reply"], config: () => ({ text: { en: "", "zh-Hant": "", ja: "" }, timeout_minutes: 60,
    options: [{ id: "a", title: { en: "", "zh-Hant": "", ja: "" }, keywords: [] }] }) },
  bot_faq: { ports: ["answered", "no_answer", "no_reply"], config: () => ({ on_miss: "ask", timeout_minutes: 60 }) },
  bot_collect: { ports: ["valid", "gave_up", "no_reply"], config: () => ({ field: "email", timeout_minutes: 60,
    prompt: { en: "", "zh-Hant": "", ja: "" } }) },
  bot_order_status: { ports: ["shown", "none", "unverified"], config: () => ({}) },
  bot_products: { ports: ["found", "none", "no_reply"], config: () => ({ limit: 5, timeout_minutes: 60 }) },
  bot_points: { ports: ["shown", "unverified"], config: () => ({}) },
  bot_hours: { ports: ["open", "closed"], config: () => ({}) },
  handoff: { ports: [], config: () => ({ reason: "step" }) },
};

export const BOT_STEPS = ["bot_menu", "bot_faq", "bot_collect", "bot_order_status", "bot_products", "bot_points",
  "bot_hours", "handoff"];

/** Ports that may stay unconnected (the run ends there; a bot's no_answer and gave_up hand off). */
export const OPTIONAL_PORTS = new Set(["skipped", "failed", "error", "not_converted", "not_sent"]);
const BOT_OPTIONAL_PORTS = new Set(["no_reply", "no_answer", "gave_up", "none", "unverified"]);

/** May `port` of a step of `type` stay unconnected? */
export function optionalPort(type, port) {
  return OPTIONAL_PORTS.has(port) || (BOT_STEPS.includes(type) && BOT_OPTIONAL_PORTS.has(port));
}

export const TRIGGERS = ["message_received", "conversation_opened", "conversation_resolved", "tag_added",
  "tag_removed", "order_paid", "cart_abandoned", "checkout_expired", "lifecycle_changed", "vip_reached",
  "date_field", "segment_entered", "schedule", "manual", "api", "bot", "tier_changed"];

export function stepName(type) {
  return STEPS[type] ? t(`jr_step_${type}`) : type;
}

export function triggerName(type) {
  return TRIGGERS.includes(type) ? t(`jr_trigger_${type}`) : String(type || "");
}

export function portName(port) {
  if (port.startsWith("button:")) return t("jr_port_button", { id: port.slice(7) });
  if (port.startsWith("option:")) return t("jr_port_option", { id: port.slice(7) });
  const known = ["sent", "skipped", "next", "replied", "no_reply", "failed", "yes", "no", "ok", "error",
    "converted", "not_converted", "answered", "no_answer", "valid", "gave_up", "shown", "none", "unverified",
    "open", "closed", "found"];
  return known.includes(port) ? t(`jr_port_${port}`) : port;
}

/** A node's output ports, from its type and config. */
export function portsOf(node) {
  const step = STEPS[node.type];
  if (!step) return [];
  const config = node.config || {};
  if (node.type === "split") return (config.variants || []).map((variant) => String(variant.port || "")).filter(Boolean);
  if (node.type === "bot_menu") {
    return [...(config.options || []).map((option) => `option:${option.id}`).filter((port) => port !== "option:"), "no_reply"];
  }
  if (node.type === "wait_reply") {
    const buttons = (config.buttons || []).map((id) => `button:${id}`);
    return ["replied", ...buttons, "no_reply", "failed"];
  }
  return step.ports;
}

export function blank() {
  return {
    trigger: { type: "manual", config: {} }, start: "n1",
    nodes: [{ id: "n1", type: "send_message", config: STEPS.send_message.config(), position: { x: 80, y: 60 } }],
    edges: [],
    settings: { allow_parallel_runs: false, reentry_after_days: null, exit_on_human: true,
      max_lateness_minutes: 1440, goal: null, quiet_hours: "shop" },
  };
}

/** A definition as the editor works on it: every list present, every node with a position. */
export function normalised(definition) {
  const value = JSON.parse(JSON.stringify(definition || blank()));
  value.trigger = value.trigger || { type: "manual", config: {} };
  value.trigger.config = value.trigger.config || {};
  value.nodes = value.nodes || [];
  value.edges = value.edges || [];
  value.settings = value.settings || {};
  value.nodes.forEach((node, index) => {
    node.config = node.config || {};
    if (!node.position || typeof node.position.x !== "number") {
      node.position = { x: 80 + (index % 3) * 240, y: 60 + Math.floor(index / 3) * 140 };
    }
  });
  return value;
}

export function freshId(definition) {
  const taken = new Set(definition.nodes.map((node) => node.id));
  let number = definition.nodes.length + 1;
  while (taken.has(`n${number}`)) number += 1;
  return `n${number}`;
}

export function edgeFrom(definition, nodeId, port) {
  return definition.edges.find((edge) => edge.from === nodeId && edge.port === port) || null;
}

/** Point `nodeId`'s `port` at `target` (null: disconnect). */
export function connect(definition, nodeId, port, target) {
  definition.edges = definition.edges.filter((edge) => !(edge.from === nodeId && edge.port === port));
  if (target) definition.edges.push({ from: nodeId, port, to: target });
}

export function removeNode(definition, nodeId) {
  definition.nodes = definition.nodes.filter((node) => node.id !== nodeId);
  definition.edges = definition.edges.filter((edge) => edge.from !== nodeId && edge.to !== nodeId);
  if (definition.start === nodeId) definition.start = definition.nodes.length ? definition.nodes[0].id : null;
}

/** A per-locale text's value for this page's language (then English, then the first one written). */
export function localised(text, locale) {
  if (typeof text === "string") return text;
  if (!text || typeof text !== "object") return "";
  const wanted = locale === "zh-Hant" || locale === "ja" ? locale : "en";
  return text[wanted] || text.en || Object.values(text).find((value) => value) || "";
}

/** One line saying what a step does, for its box on the graph. */
export function summary(node, locale) {
  const config = node.config || {};
  switch (node.type) {
    case "send_message": return localised(config.text, locale);
    case "wait":
      if (config.until_time) return t("jr_sum_until_time", { time: config.until_time });
      if (config.until_field) return t("jr_sum_until_field", { field: config.until_field });
      return duration(config.minutes);
    case "wait_reply": return config.timeout_minutes ? t("jr_sum_timeout", { time: duration(config.timeout_minutes) }) : t("jr_sum_no_timeout");
    case "tag": return [...(config.add || []).map((tag) => `+${tag}`), ...(config.remove || []).map((tag) => `−${tag}`)].join(" ");
    case "set_field": return config.field ? `${config.field} = ${config.value ?? ""}` : "";
    case "task": return localised(config.title, locale);
    case "split": return (config.variants || []).map((variant) => `${variant.port} ${variant.percent}%`).join(" · ");
    case "goal": return t("jr_sum_within_hours", { hours: config.within_hours ?? "" });
    case "http": return `${config.method || "POST"} ${config.url || ""}`;
    case "branch": return conditionSummary(config.condition);
    case "bot_menu": return localised(config.text, locale);
    case "bot_faq": return config.prompt ? localised(config.prompt, locale) : t("jr_sum_faq");
    case "bot_collect": return t(`jr_collect_${config.field || "email"}`);
    case "bot_products": return config.prompt ? localised(config.prompt, locale) : t("jr_sum_products");
    case "bot_hours": return t("jr_sum_hours");
    case "handoff": return config.reason ? t("jr_sum_handoff", { reason: config.reason }) : "";
    default: return "";
  }
}

function conditionSummary(condition) {
  if (!condition || typeof condition !== "object") return "";
  if (condition.reply_matches) return t("jr_sum_reply_tag", { tag: condition.reply_matches.tag || "" });
  if ("tag" in condition) return t("jr_sum_tag", { tag: condition.tag });
  if (condition.lifecycle) return [].concat(condition.lifecycle).map((cell) => t(`cmp_cell_${String(cell).replace(" ", "_")}`)).join(", ");
  return JSON.stringify(condition).slice(0, 40);
}

export function duration(minutes) {
  const value = Number(minutes) || 0;
  if (value === 1440) return t("jr_one_day");
  if (value === 60) return t("jr_one_hour");
  if (value && value % 1440 === 0) return t("jr_days", { n: value / 1440 });
  if (value && value % 60 === 0) return t("jr_hours", { n: value / 60 });
  return t("jr_minutes", { n: value });
}

/** A translated reason (a run's exit, a step's skip), or the reason's own name when it is new. */
export function reasonName(prefix, reason) {
  const key = `${prefix}${reason}`;
  const text = t(key);
  return text === key ? String(reason).replace(/_/g, " ") : text;
}
