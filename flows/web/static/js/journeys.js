// The journeys list (/flows): each flow with its trigger, status, published version and counts, publish and
// unpublish, links to its editor and runs; a new flow from a blank graph or a ready-made template.

import { $, clear, h, notify } from "./dom.js";
import { locale, t } from "./i18n.js";
import { call, post, problemsIn } from "./journeys_call.js";
import { blank, triggerName } from "./journeys_model.js";

function triggerOf(flow) {
  const definition = flow.draft && flow.draft.definition;
  const type = (definition && definition.trigger && definition.trigger.type) || flow.trigger_type;
  return type ? triggerName(type) : "";
}

function row(flow, stats) {
  const published = flow.status === "published";
  const actions = h("td", { class: "jr-row-actions" },
    h("a", { class: "btn btn-small", href: `/flows/${flow.id}`, text: t("cmp_edit"), "aria-label": t("cmp_edit_named", { name: flow.name }) }),
    h("a", { class: "btn btn-small", href: `/flows/${flow.id}#runs`, text: t("jr_runs"), "aria-label": t("jr_runs_named", { name: flow.name }) }),
    published
      ? h("button", { type: "button", class: "btn btn-small", text: t("jr_unpublish"), "aria-label": t("jr_unpublish_named", { name: flow.name }),
        onclick: () => change(flow, "unpublish") })
      : h("button", { type: "button", class: "btn btn-small btn-primary", text: t("jr_publish"), "aria-label": t("jr_publish_named", { name: flow.name }),
        onclick: () => change(flow, "publish") }));
  return h("tr", { class: "flow-row", dataset: { id: flow.id, status: flow.status } },
    h("th", { scope: "row" }, h("a", { href: `/flows/${flow.id}`, class: "flow-name", text: flow.name })),
    h("td", { text: triggerOf(flow) }),
    h("td", {}, h("span", { class: `badge jr-status-${flow.status}`, text: t(`jr_status_${flow.status}`) })),
    h("td", { text: flow.published_version ? t("jr_version_n", { version: flow.published_version }) : "—" }),
    h("td", { class: "num", dataset: { stat: "entered" }, text: String(stats ? stats.entered ?? 0 : "–") }),
    h("td", { class: "num", dataset: { stat: "active" }, text: String(stats ? (stats.active ?? 0) + (stats.waiting ?? 0) : "–") }),
    h("td", { class: "num", dataset: { stat: "converted" }, text: String(stats ? stats.converted ?? 0 : "–") }),
    actions);
}

async function change(flow, action) {
  const answer = await post(`/api/v1/flows/${flow.id}/${action}`, action === "unpublish" ? { cancel_runs: false } : {});
  if (answer.status === 422) {
    notify(t("jr_publish_refused_named", { name: flow.name, count: problemsIn(answer.data).length }), true);
    return;
  }
  if (!answer.ok) {
    notify(t("err_422"), true);
    return;
  }
  notify(action === "publish" ? t("jr_published", { version: answer.data.published_version }) : t("jr_unpublished"));
  await load();
}

async function load() {
  const flows = await call("/api/v1/flows");
  const stats = await Promise.all(flows.map((flow) => call(`/api/v1/flows/${flow.id}/stats`).catch(() => null)));
  const rows = clear($("#flow-rows"));
  flows.forEach((flow, index) => rows.append(row(flow, stats[index])));
  $("#no-flows").hidden = flows.length > 0;
  $("#flow-table").hidden = flows.length === 0;
}

async function loadTemplates() {
  const templates = await call(`/api/v1/flow-templates?locale=${encodeURIComponent(locale)}`).catch(() => []);
  const list = $("#template-list");
  for (const template of templates) {
    const id = `template-${template.key}`;
    list.append(h("li", {}, h("label", { class: "jr-template", for: id },
      h("input", { type: "radio", name: "flow-template", value: template.key, id }),
      h("span", {}, h("strong", { text: template.name }), h("span", { class: "muted small", text: template.description || "" })))));
  }
}

/** Arrived with a segment (the lifecycle report's "start a journey"): a blank flow starts when customers enter it. */
function fromLink(definition) {
  const segment = new URLSearchParams(window.location.search).get("segment");
  if (segment && /^[0-9]+$/.test(segment)) definition.trigger = { type: "segment_entered", config: { segment_id: Number(segment) } };
  return definition;
}

async function create(event) {
  event.preventDefault();
  const name = $("#new-flow-name").value.trim();
  const chosen = document.querySelector('input[name="flow-template"]:checked');
  const key = chosen ? chosen.value : "";
  const body = key ? { template: key, locale, ...(name ? { name } : {}) } : { name: name || t("jr_untitled"), definition: fromLink(blank()) };
  $("#new-flow-error").textContent = "";
  try {
    const flow = await call("/api/v1/flows", { method: "POST", body });
    location.assign(`/flows/${flow.id}`);
  } catch (error) {
    $("#new-flow-error").textContent = error.message;
  }
}

$("#new-flow-form").addEventListener("submit", create);
Promise.all([load(), loadTemplates()]).then(() => {
  document.body.dataset.ready = "true";
}).catch((error) => notify(error.message, true));
