// The journeys editor (/flows/{id}): the flow's draft drawn on the canvas (journeys_canvas.js), a palette
// that adds each step type, the side panel that edits a step or the trigger (journeys_panel.js), and the
// flow's actions: save (a new version), check, publish/unpublish, versions, counts on the graph, a test run;
// undo and redo over snapshots of the definition (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y, and the buttons).

import { $, clear, h, notify } from "./dom.js";
import { full, locale, t } from "./i18n.js";
import { call, post, problemsIn } from "./journeys_call.js";
import { Canvas, NODE_H, NODE_W } from "./journeys_canvas.js";
import { STEPS, freshId, normalised, reasonName, removeNode, stepName } from "./journeys_model.js";
import { Panel } from "./journeys_panel.js";

const boot = JSON.parse($("#hub-boot").textContent);
const base = `/api/v1/flows/${boot.flow_id}`;
const state = { flow: null, definition: null, selected: null, problems: [], stats: null, dirty: false,
  flows: [], segments: [], contacts: new Map(), checked: false };
// the definition as JSON after each change; typing in one field (within a moment) is one change
const history = { past: [], future: [], current: null, field: null, at: 0 };
const HISTORY = 100;

const canvas = new Canvas($("#canvas"), $("#connect-hint"), {
  onSelect: (id) => { state.selected = id; redraw(); },
  onOpen: (id) => openNode(id, true),
  onMove: (id, x, y, done) => {
    const node = nodeOf(id);
    if (!node) return;
    node.position = { x, y };
    if (done) changed(false);
    redraw();
  },
  onDelete: (id) => deleteNode(id),
  onConnect: (from, port, to) => {
    state.definition.edges = state.definition.edges.filter((edge) => !(edge.from === from && edge.port === port));
    state.definition.edges.push({ from, port, to });
    changed();
    notify(t("jr_connected", { from, port, to }));
    if (panel.shown && panel.shown.id === from) openNode(from, false);
  },
});

const panel = new Panel($("#panel-form"), $("#panel-empty"), $("#panel-title"), {
  boot, flows: () => state.flows, segments: () => state.segments, definition: () => state.definition,
  onChange: (redrawIt = true) => changed(redrawIt),
  onDelete: (id) => deleteNode(id),
  onStart: (id) => { state.definition.start = id; changed(); openNode(id, false); },
  onPreview: (node, channelId, wanted, out) => preview(node, channelId, wanted, out),
});

panel.escapes((id) => canvas.focus(id));

function nodeOf(id) {
  return state.definition.nodes.find((node) => node.id === id) || null;
}

function redraw() {
  canvas.draw({ definition: state.definition, selected: state.selected, problems: state.problems,
    stats: state.stats, locale });
}

function remember() {
  const now = JSON.stringify(state.definition);
  if (now === history.current) return;
  const active = document.activeElement;
  const field = active && active.matches("#panel-form input, #panel-form textarea") ? active : null;
  const typing = field && field === history.field && Date.now() - history.at < 1500;
  if (!typing && history.current !== null) {
    history.past.push(history.current);
    if (history.past.length > HISTORY) history.past.shift();
  }
  history.current = now;
  history.future = [];
  history.field = field;
  history.at = Date.now();
  showHistory();
}

function showHistory() {
  $("#flow-undo").disabled = history.past.length === 0;
  $("#flow-redo").disabled = history.future.length === 0;
}

/** Back (undo) or forward (redo) one change: the definition is the snapshot; the panel shows it again. */
function travel(back) {
  const from = back ? history.past : history.future;
  const to = back ? history.future : history.past;
  if (!from.length) {
    notify(t(back ? "jr_nothing_to_undo" : "jr_nothing_to_redo"));
    return;
  }
  to.push(history.current);
  history.current = from.pop();
  history.field = null;
  state.definition = JSON.parse(history.current);
  if (state.selected && !nodeOf(state.selected)) state.selected = null;
  const shown = panel.shown;
  if (shown && shown.kind === "node" && nodeOf(shown.id)) panel.showNode(state.definition, nodeOf(shown.id), { focus: false });
  else if (shown && shown.kind === "trigger") panel.showTrigger(state.definition);
  else if (shown) panel.close();
  state.problems = state.problems.filter((problem) => !problem.node_id || nodeOf(problem.node_id));
  state.dirty = true;
  $("#flow-dirty").hidden = false;
  $("#flow-publish").disabled = false;
  redraw();
  showHistory();
  notify(t(back ? "jr_undone" : "jr_redone"));
}

function changed(redrawIt = true) {
  remember();
  state.dirty = true;
  $("#flow-dirty").hidden = false;
  $("#flow-publish").disabled = false;
  if (redrawIt) redraw();
}

function openNode(id, focus) {
  const node = nodeOf(id);
  if (!node) return;
  state.selected = id;
  redraw();
  panel.showNode(state.definition, node, { focus });
}

function deleteNode(id) {
  const node = nodeOf(id);
  if (!node) return;
  removeNode(state.definition, id);
  state.problems = state.problems.filter((problem) => problem.node_id !== id);
  if (state.selected === id) state.selected = null;
  if (panel.shown && panel.shown.id === id) panel.close();
  changed();
  notify(t("jr_deleted_step", { step: stepName(node.type), id }));
  const next = state.definition.nodes[0];
  if (next) canvas.focus(next.id);
  else $("#palette button").focus();
}

function addNode(type) {
  const definition = state.definition;
  const id = freshId(definition);
  const anchor = nodeOf(state.selected) || definition.nodes[definition.nodes.length - 1];
  // beside and below the chosen (or last) step: an arrow to it will not pass behind the steps under that one
  const position = anchor ? { x: anchor.position.x + 260, y: anchor.position.y + NODE_H + 40 } : { x: 80, y: 60 };
  const visible = $("#canvas-scroll").clientWidth || 760;
  if (position.x + NODE_W > visible - 20) position.x = 40;  // back to the left edge rather than out of sight
  while (definition.nodes.some((node) => Math.abs(node.position.x - position.x) < 60 && Math.abs(node.position.y - position.y) < 60)) {
    position.x += 240;
  }
  definition.nodes.push({ id, type, config: STEPS[type].config(), position });
  if (!definition.start) definition.start = id;
  state.selected = id;
  changed();
  notify(t("jr_added_step", { step: stepName(type), id }));
  canvas.focus(id);
  const box = $("#canvas-scroll");
  box.scrollTo({ left: Math.max(0, position.x - 100), top: Math.max(0, position.y - 100) });
}

function drawPalette() {
  const list = clear($("#palette"));
  for (const type of Object.keys(STEPS)) {
    list.append(h("li", {}, h("button", { type: "button", class: `btn btn-small jr-palette-item jr-type-${type}`,
      "data-type": type, "aria-label": t("jr_add_named", { step: stepName(type) }), text: stepName(type),
      onclick: () => addNode(type) })));
  }
}

function showFlow() {
  const flow = state.flow;
  if (document.activeElement !== $("#flow-name")) $("#flow-name").value = flow.name;
  const status = $("#flow-status");
  status.textContent = t(`jr_status_${flow.status}`);
  status.className = `badge jr-status-${flow.status}`;
  status.dataset.status = flow.status;
  $("#flow-version").textContent = [
    t("jr_draft_version", { version: flow.draft ? flow.draft.version : "" }),
    flow.published_version ? t("jr_published_version", { version: flow.published_version }) : "",
  ].filter(Boolean).join(" · ");
  $("#flow-unpublish").hidden = flow.status !== "published";
  // nothing new to publish: the draft is the published version and nothing is unsaved
  $("#flow-publish").disabled = flow.status === "published" && flow.draft && flow.published_version === flow.draft.version && !state.dirty;
  document.title = `${flow.name} · Hub`;
}

function showProblems(problems) {
  state.problems = problems;
  state.checked = true;
  const list = clear($("#problems"));
  $("#problems-none").textContent = problems.length ? "" : t("jr_no_problems");
  $("#problems-none").hidden = problems.length > 0;
  for (const problem of problems) {
    const where = problem.node_id ? `${problem.node_id} · ` : "";
    const item = h("li", { class: "jr-problem", dataset: { code: problem.code, node: problem.node_id || "" } },
      h("strong", { text: `${where}${t(`jr_problem_${problem.code}`) === `jr_problem_${problem.code}` ? problem.code : t(`jr_problem_${problem.code}`)}` }),
      h("span", { class: "muted small", text: problem.message || "" }));
    if (problem.node_id && nodeOf(problem.node_id)) {
      item.append(h("button", { type: "button", class: "btn btn-small", text: t("jr_show_step"),
        "aria-label": t("jr_show_step_named", { id: problem.node_id }), onclick: () => openNode(problem.node_id, false) || canvas.focus(problem.node_id) }));
    }
    list.append(item);
  }
  redraw();
}

async function validate() {
  const answer = await post("/api/v1/flows/validate", { definition: state.definition });
  if (!answer.ok) {
    notify(t("jr_check_failed"), true);
    return null;
  }
  const problems = problemsIn(answer.data);
  showProblems(problems);
  notify(problems.length ? t("jr_problems_found", { count: problems.length }) : t("jr_no_problems"));
  return problems;
}

async function save() {
  const name = $("#flow-name").value.trim();
  if (!name) {
    notify(t("jr_need_name"), true);
    $("#flow-name").focus();
    return false;
  }
  try {
    state.flow = await call(base, { method: "PATCH", body: { name, definition: state.definition } });
  } catch (error) {
    notify(error.message, true);
    return false;
  }
  state.dirty = false;
  $("#flow-dirty").hidden = true;
  showFlow();
  notify(t("jr_saved", { version: state.flow.draft ? state.flow.draft.version : "" }));
  loadVersions();
  return true;
}

async function publish(version) {
  if (state.dirty && !(await save())) return;
  const answer = await post(`${base}/publish`, version ? { version } : {});
  if (answer.status === 422) {
    const problems = problemsIn(answer.data);
    showProblems(problems);
    notify(t("jr_publish_refused", { count: problems.length }), true);
    $("#problems-title").scrollIntoView({ block: "center" });
    return;
  }
  if (!answer.ok) {
    notify(answer.data && typeof answer.data.detail === "string" ? answer.data.detail : t("err_422"), true);
    return;
  }
  state.flow = answer.data;
  showFlow();
  showProblems([]);
  notify(t("jr_published", { version: state.flow.published_version }));
  loadVersions();
}

function askUnpublish() {
  const dialog = $("#unpublish-dialog");
  dialog.querySelector("input[value=finish]").checked = true;
  dialog.showModal();
}

async function unpublish() {
  const dialog = $("#unpublish-dialog");
  const cancelRuns = dialog.querySelector("input[value=cancel]").checked;
  dialog.close();
  const answer = await post(`${base}/unpublish`, { cancel_runs: cancelRuns });
  if (!answer.ok) {
    notify(t("err_422"), true);
    return;
  }
  state.flow = answer.data;
  showFlow();
  notify(t(cancelRuns ? "jr_unpublished_cancelled" : "jr_unpublished"));
  await Promise.all([loadVersions(), loadRuns(), loadStats()]);
  $("#flow-publish").focus();
}

async function preview(node, channelId, wanted, out) {
  clear(out);
  const answer = await post("/api/v1/flows/preview", { node, channel_id: channelId, locale: wanted });
  if (!answer.ok) {
    out.append(h("p", { class: "error small", text: answer.data && typeof answer.data.detail === "string" ? answer.data.detail : t("jr_preview_failed") }));
    return;
  }
  const channel = (boot.channels || []).find((item) => item.id === channelId);
  const kind = channel ? channel.kind.split("_")[0] : "webchat";
  const screen = h("div", { class: "phone-screen" });
  for (const part of answer.data.rendered || []) {
    const bubble = h("div", { class: `bubble bubble-${kind} jr-bubble`, dataset: { kind: part.kind || "text" } },
      h("p", { class: "bubble-text", text: part.text || "" }));
    const buttons = (part.buttons || []).map((button) => h("span", { class: "jr-bubble-button",
      text: typeof button === "string" ? button : button.title || button.text || button.id || "" }));
    if (buttons.length) bubble.append(h("div", { class: "jr-bubble-buttons" }, ...buttons));
    screen.append(bubble);
  }
  out.append(h("div", { class: `phone phone-${kind}` }, h("div", { class: "phone-head" }, h("span", { text: channel ? channel.name : "" })), screen));
  for (const warning of answer.data.warnings || []) out.append(h("p", { class: "notice small", text: typeof warning === "string" ? warning : warning.message || "" }));
}

async function loadStats() {
  let stats;
  try {
    stats = await call(`${base}/stats`);
  } catch {
    return;
  }
  if (JSON.stringify(stats) === JSON.stringify(state.stats)) return;  // nothing new: no redraw
  state.stats = stats;
  const list = clear($("#stats"));
  const numbers = [["entered", stats.entered], ["active", stats.active], ["waiting", stats.waiting],
    ["completed", stats.completed], ["converted", stats.converted]];
  for (const [key, value] of numbers) {
    list.append(h("div", { class: "report-number", dataset: { stat: key } }, h("dt", { text: t(`jr_stat_${key}`) }),
      h("dd", { text: String(value ?? 0) })));
  }
  for (const [currency, minor] of Object.entries(stats.revenue || {})) {
    list.append(h("div", { class: "report-number", dataset: { stat: "revenue" } }, h("dt", { text: t("jr_stat_revenue") }),
      h("dd", { text: money(minor, currency) })));
  }
  for (const [reason, count] of Object.entries(stats.exited || {})) {
    list.append(h("div", { class: "report-number", dataset: { stat: `exited-${reason}` } }, h("dt", { text: t("jr_stat_exited", { reason: reasonName("jr_exit_", reason) }) }),
      h("dd", { text: String(count) })));
  }
  redraw();
}

function money(minor, currency) {
  const digits = ["JPY", "KRW", "TWD"].includes(currency) ? 0 : 2;
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency}`;
  }
}

async function loadVersions() {
  let versions = [];
  try {
    versions = await call(`${base}/versions`);
  } catch {
    return;
  }
  const list = clear($("#versions"));
  for (const version of versions) {
    const published = state.flow.published_version === version.version && state.flow.status === "published";
    const item = h("li", { class: "jr-version", dataset: { version: version.version } },
      h("strong", { text: t("jr_version_n", { version: version.version }) }),
      h("span", { class: "muted small", text: version.created_at ? full(version.created_at) : "" }),
      published ? h("span", { class: "badge jr-status-published", text: t("jr_status_published") }) : null);
    if (!published) {
      item.append(h("button", { type: "button", class: "btn btn-small", text: t("jr_publish_version"),
        "aria-label": t("jr_publish_version_named", { version: version.version }), onclick: () => publish(version.version) }));
    }
    list.append(item);
  }
}

async function loadRuns() {
  let runs = [];
  try {
    runs = await call(`${base}/runs?limit=20`);
  } catch {
    return;
  }
  const rows = clear($("#run-rows"));
  $("#no-runs").hidden = runs.length > 0;
  for (const run of runs) {
    const contact = state.contacts.get(run.contact_id);
    const live = ["active", "waiting"].includes(run.status);
    rows.append(h("tr", { dataset: { run: run.id, status: run.status } },
      h("td", { text: `#${run.id}` }), h("td", { text: contact ? contact.name || `#${run.contact_id}` : `#${run.contact_id}` }),
      h("td", { text: String(run.version) }), h("td", { text: t(`jr_run_${run.status}`) }),
      h("td", { text: run.exit_reason ? reasonName("jr_exit_", run.exit_reason) : run.node_id || "" }), h("td", { text: run.started_at ? full(run.started_at) : "" }),
      h("td", {}, live ? h("button", { type: "button", class: "btn btn-small", text: t("jr_cancel_run"),
        "aria-label": t("jr_cancel_run_named", { id: run.id }), onclick: () => cancelRun(run.id) }) : null)));
  }
}

async function cancelRun(id) {
  const answer = await post(`/api/v1/flow-runs/${id}/cancel`, {});
  if (!answer.ok) notify(t("err_422"), true);
  await Promise.all([loadRuns(), loadStats()]);
}

async function testRun() {
  const contactId = Number($("#test-contact").value);
  if (!contactId) {
    notify(t("jr_choose_contact"), true);
    return;
  }
  if (state.dirty && !(await save())) return;
  const answer = await post(`${base}/runs`, { contact_id: contactId, test: true });
  const result = $("#test-result");
  if (!answer.ok) {
    result.textContent = answer.data && typeof answer.data.detail === "string" ? answer.data.detail : t("err_422");
    result.className = "small error";
    return;
  }
  result.className = "small";
  result.textContent = t("jr_test_started", { id: answer.data.id });
  await Promise.all([loadRuns(), loadStats()]);
}

async function loadSide() {
  // test contacts: the newest customers, through the segments' preview (what marketers may see of contacts)
  const [flows, segments, everyone] = await Promise.all([
    call("/api/v1/flows").catch(() => []), call("/api/v1/segments").catch(() => []),
    call("/api/v1/segments/preview", { method: "POST", body: { definition: { all: [] }, limit: 100 } }).catch(() => null)]);
  state.flows = flows;
  state.segments = segments;
  const pick = clear($("#test-contact"));
  pick.append(h("option", { value: "", text: t("jr_choose_contact") }));
  for (const contact of everyone ? everyone.members : []) {
    state.contacts.set(contact.id, contact);
    const address = contact.identities && contact.identities.length ? ` (${contact.identities[0].value})` : "";
    pick.append(h("option", { value: contact.id, text: `${contact.name || `#${contact.id}`}${address}` }));
  }
}

async function start() {
  drawPalette();
  try {
    state.flow = await call(base);
  } catch (error) {
    notify(error.message, true);
    return;
  }
  state.definition = normalised(state.flow.draft ? state.flow.draft.definition : null);
  history.current = JSON.stringify(state.definition);
  showHistory();
  showFlow();
  redraw();
  $("#flow-name").addEventListener("input", () => changed(false));
  $("#flow-save").addEventListener("click", () => save());
  $("#flow-validate").addEventListener("click", () => validate());
  $("#flow-publish").addEventListener("click", () => publish());
  $("#flow-unpublish").addEventListener("click", () => askUnpublish());
  $("#unpublish-confirm").addEventListener("click", () => unpublish());
  $("#unpublish-cancel").addEventListener("click", () => $("#unpublish-dialog").close());
  $("#edit-trigger").addEventListener("click", () => { state.selected = null; redraw(); panel.showTrigger(state.definition, { focus: true }); });
  $("#test-run").addEventListener("click", () => testRun());
  $("#flow-undo").addEventListener("click", () => travel(true));
  $("#flow-redo").addEventListener("click", () => travel(false));
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey)) return;
    const key = event.key.toLowerCase();
    if (key === "s") {
      event.preventDefault();
      save();
      return;
    }
    // in a text field, Ctrl+Z is the field's own undo (its input event records the change here)
    const typing = event.target instanceof Element && event.target.matches("input:not([type=checkbox]):not([type=radio]), textarea");
    if (typing || !(key === "z" || key === "y") || document.querySelector("dialog[open]")) return;
    event.preventDefault();
    travel(key === "z" && !event.shiftKey);
  });
  await loadSide();
  await Promise.all([loadStats(), loadVersions(), loadRuns()]);
  setInterval(() => { if (!document.hidden) { loadStats(); loadRuns(); } }, 5000);
  document.body.dataset.ready = "true";
}

start().catch((error) => notify(error.message, true));
