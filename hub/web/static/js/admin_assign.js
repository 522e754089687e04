// Assignment: policies per team or channel, each team's deadline and hours, each agent's capacity,
// skills and languages.

import { call, words } from "./admin_api.js";
import { hoursEditor, openStatus } from "./admin_hours.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";

const KINDS = ["round_robin", "least_loaded", "sticky", "skill"];
const LANGUAGES = ["zh", "ja", "en"];
let counter = 0;

function uid(prefix) {
  return `${prefix}-${++counter}`;
}

function labelled(text, control) {
  control.id = control.id || uid("field");
  return h("div", { class: "cond-field" }, h("label", { for: control.id, text }), control);
}

function kindSelect(chosen, label) {
  return h("select", { class: "input", "aria-label": label },
    KINDS.map((kind) => h("option", { value: kind, selected: kind === chosen, text: t(`policy_${kind}`) })));
}

export class Assignment {
  constructor(context) {
    this.context = context;  // {teams, channels, agents, notify(message, isError)}
    const scope = $("#policy-scope");
    scope.append(
      h("optgroup", { label: t("teams") }, context.teams.map((team) => h("option", { value: `team:${team.id}`, text: team.name }))),
      h("optgroup", { label: t("channels") },
        context.channels.map((channel) => h("option", { value: `channel:${channel.id}`, text: channel.name }))));
    $("#policy-kind").append(...KINDS.map((kind) => h("option", { value: kind, text: t(`policy_${kind}`) })));
    $("#policy-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.addPolicy();
    });
  }

  scopeName(policy) {
    if (policy.channel_id !== null) {
      const channel = this.context.channels.find((item) => item.id === policy.channel_id);
      return t("scope_channel", { name: channel ? channel.name : `#${policy.channel_id}` });
    }
    const team = this.context.teams.find((item) => item.id === policy.team_id);
    return t("scope_team", { name: team ? team.name : `#${policy.team_id}` });
  }

  async load() {
    await Promise.all([this.loadPolicies(), this.loadTeams(), this.loadAgents()]);
  }

  async loadPolicies() {
    const policies = await call("/api/v1/assignment-policies");
    const list = clear($("#policy-list"));
    if (!policies.length) list.append(h("li", { class: "empty", text: t("no_policies") }));
    for (const policy of policies) list.append(this.policyRow(policy));
  }

  policyRow(policy) {
    const name = this.scopeName(policy);
    const kind = kindSelect(policy.kind, t("policy_kind_of", { scope: name }));
    kind.addEventListener("change", () => this.patchPolicy(policy, { kind: kind.value }));
    const enabled = h("input", { type: "checkbox", checked: policy.enabled, "aria-label": t("policy_on", { scope: name }),
      onchange: () => this.patchPolicy(policy, { enabled: enabled.checked }) });
    const confirmBox = h("div", { class: "confirm", role: "group", hidden: true },
      h("span", { text: t("delete_policy_question", { scope: name }) }),
      h("button", { type: "button", class: "btn btn-danger btn-small", text: t("delete"), onclick: async () => {
        await this.request(`/api/v1/assignment-policies/${policy.id}`, "DELETE", undefined, t("deleted"));
        this.loadPolicies();
      } }),
      h("button", { type: "button", class: "btn btn-small", text: t("cancel"), onclick: () => { confirmBox.hidden = true; } }));
    return h("li", { class: `admin-row${policy.enabled ? "" : " is-off"}` },
      h("div", { class: "admin-row-main" }, h("strong", { text: name })),
      h("div", { class: "admin-row-actions" }, kind, h("label", { class: "check" }, enabled, ` ${t("enabled")}`),
        h("button", { type: "button", class: "btn btn-small", text: t("delete"), "aria-label": t("delete_named", { name }),
          onclick: () => { confirmBox.hidden = false; } })),
      confirmBox);
  }

  async request(path, method, body, done, errorBox = null) {
    if (errorBox) errorBox.textContent = "";
    try {
      const answer = await call(path, { method, body });
      this.context.notify(done);
      return answer;
    } catch (error) {
      if (errorBox) errorBox.textContent = error.message;
      else this.context.notify(error.message, true);
      return null;
    }
  }

  async patchPolicy(policy, changes) {
    await this.request(`/api/v1/assignment-policies/${policy.id}`, "PATCH", changes, t("saved"));
    this.loadPolicies();
  }

  async addPolicy() {
    const [scope, id] = $("#policy-scope").value.split(":");
    if (!id) return;
    const body = { kind: $("#policy-kind").value, [`${scope}_id`]: Number(id) };
    const made = await this.request("/api/v1/assignment-policies", "POST", body, t("saved"), $("#policy-error"));
    if (made) this.loadPolicies();
  }

  async loadTeams() {
    const root = clear($("#team-list"));
    if (!this.context.teams.length) root.append(h("p", { class: "muted", text: t("no_teams") }));
    const settings = await Promise.all(this.context.teams.map((team) => call(`/api/v1/teams/${team.id}/policy`)));
    this.context.teams.forEach((team, index) => root.append(this.teamCard(team, settings[index])));
  }

  teamCard(team, settings) {
    const minutes = h("input", { type: "number", class: "input narrow", min: "1", max: "10080", step: "1",
      placeholder: t("no_deadline"), value: settings.first_response_minutes ?? "" });
    const editor = hoursEditor(settings);
    const status = h("span", { class: "muted small", text: openStatus(settings) });
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { class: "team-card", "aria-label": team.name, onsubmit: async (event) => {
      event.preventDefault();
      const body = { first_response_minutes: minutes.value ? Number(minutes.value) : null, ...editor.read() };
      const saved = await this.request(`/api/v1/teams/${team.id}/policy`, "PUT", body, t("saved"), error);
      if (saved) status.textContent = openStatus(saved);
    } },
    h("h4", { text: team.name }),
    labelled(t("deadline_minutes"), minutes),
    h("details", { class: "team-hours" }, h("summary", {}, `${t("team_hours")} `, status), editor.el),
    error,
    h("button", { type: "submit", class: "btn btn-primary btn-small", text: t("save"),
      "aria-label": t("save_named", { name: team.name }) }));
    return form;
  }

  async loadAgents() {
    const list = clear($("#agent-list"));
    const profiles = await Promise.all(this.context.agents.map((agent) =>
      call(`/api/v1/agents/${agent.id}/profile`).catch(() => null)));
    this.context.agents.forEach((agent, index) => {
      if (profiles[index]) list.append(this.agentRow(agent, profiles[index]));
    });
    if (!list.children.length) list.append(h("li", { class: "empty", text: t("no_agents") }));
  }

  agentRow(agent, profile) {
    const capacity = h("input", { type: "number", class: "input narrow", min: "0", max: "1000", step: "1", required: true,
      value: profile.capacity });
    const skills = h("input", { class: "input", maxlength: "2000", autocomplete: "off", placeholder: t("skills_hint"),
      value: profile.skills.join(", ") });
    const languages = LANGUAGES.map((code) => {
      const box = h("input", { type: "checkbox", value: code, checked: profile.languages.includes(code) });
      return { code, box, label: h("label", { class: "check" }, box, ` ${t(`lang_${code}`)}`) };
    });
    const error = h("p", { class: "error", role: "alert" });
    return h("li", { class: "admin-row agent-row", dataset: { userId: agent.id } },
      h("form", { class: "agent-form", "aria-label": agent.name, onsubmit: async (event) => {
        event.preventDefault();
        const body = { capacity: Number(capacity.value), skills: words(skills.value),
          languages: languages.filter((item) => item.box.checked).map((item) => item.code) };
        await this.request(`/api/v1/agents/${agent.id}/profile`, "PATCH", body, t("saved_named", { name: agent.name }), error);
      } },
      h("strong", { class: "agent-name", text: agent.name }),
      labelled(t("capacity"), capacity),
      labelled(t("skills"), skills),
      h("fieldset", { class: "checks" }, h("legend", { text: t("languages") }), languages.map((item) => item.label)),
      h("button", { type: "submit", class: "btn btn-primary btn-small", text: t("save"),
        "aria-label": t("save_named", { name: agent.name }) }),
      error));
  }
}
