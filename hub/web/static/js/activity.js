// What happened to a conversation, in the agent's language: the thread's activity lines, and where each tag came from.

import { h } from "./dom.js";
import { t, clock, full } from "./i18n.js";

/** "by rule 退款", "by the classifier (confidence 93%)", "by Sam": who or what did it. */
export function byWhom(item) {
  switch (item.actor ?? item.source) {
    case "agent": return item.agent_name ? t("by_agent", { name: item.agent_name }) : "";
    case "rule": return t("by_rule", { rule: item.rule_name || `#${item.rule_id}` });
    case "classifier": return t("by_classifier", { confidence: item.confidence == null ? "?" : `${Math.round(item.confidence * 100)}%` });
    case "policy": return t("by_policy", { policy: t(`policy_${item.policy}`) });
    case "customer": return t("by_customer");
    case "bot": return t("by_bot");
    default: return t("by_system");
  }
}

/** The tooltip of a tag chip: the tag and what applied it (`tag_details` from the API). */
export function tagTitle(name, details) {
  const detail = (details || []).find((item) => item.name === name);
  return detail ? t("tag_by", { tag: name, source: byWhom(detail) }) : name;
}

/** One activity line in the thread: what happened, who or what did it, and when. */
export function activityElement(item) {
  const kind = item.kind === "team_changed" && !item.team_id ? "team_back" : item.kind;
  const what = t(`act_${kind}`, { tag: item.tag ?? "", assignee: item.assignee_name ?? "", team: item.team_name ?? "" });
  const who = byWhom(item);
  return h("div", { class: `activity activity-${item.kind}`, role: "note", dataset: { activity: item.id },
    title: item.reason || null },
    h("span", { class: "activity-text", text: who ? `${what} · ${who}` : what }),
    h("time", { datetime: item.created_at, title: full(item.created_at), text: clock(item.created_at) }));
}
