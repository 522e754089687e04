// flows' part of the inbox: a "Journeys" section in the contact panel with the customer's open staff tasks (made
// by journeys' task steps; marked done here) and starting a published journey whose trigger is "started by an
// agent" for this customer. Loaded before inbox.js (flows' module record names it).

import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { t, when } from "./i18n.js";
import { provide } from "./parts.js";

function taskItem(task, onDone) {
  const done = h("button", { type: "button", class: "btn btn-small", text: t("jr_inbox_done"),
    "aria-label": t("jr_inbox_done_label", { title: task.title }) });
  done.addEventListener("click", async () => {
    done.disabled = true;
    try {
      await api(`/api/v1/tasks/${task.id}`, { method: "PATCH", body: { status: "done" } });
      onDone();
    } catch (error) {
      done.disabled = false;
      done.after(h("p", { class: "error", role: "alert", text: error.message }));
    }
  });
  return h("li", { class: "journey-task" },
    h("span", { class: "journey-task-title", text: task.title }),
    task.due_at ? h("span", { class: "muted small", text: ` · ${t("jr_inbox_due", { when: when(task.due_at) })}` }) : null,
    " ", done);
}

// What the agent chose and was told, per customer: a live update redraws the panel, and must not undo either.
const chosen = new Map();
const told = new Map();
const shown = new Map();  // the status line of each customer's latest drawing

function starter(contactId, flows) {
  const manual = flows.filter((flow) => flow.status === "published" && flow.trigger_type === "manual");
  if (!manual.length) return h("p", { class: "muted small", text: t("jr_inbox_none") });
  const choice = h("select", { class: "input", "aria-label": t("jr_inbox_choose") },
    h("option", { value: "", text: t("jr_inbox_choose") }),
    ...manual.map((flow) => h("option", { value: String(flow.id), text: flow.name })));
  if (chosen.has(contactId)) choice.value = chosen.get(contactId);
  choice.addEventListener("change", () => chosen.set(contactId, choice.value));
  const start = h("button", { type: "button", class: "btn", text: t("jr_inbox_start_button") });
  const status = h("p", { class: "small", role: "status" });
  shown.set(contactId, status);
  const tell = (text, error = false) => {  // on the panel drawn now: a live update may have redrawn it meanwhile
    told.set(contactId, { text, error });
    const current = shown.get(contactId) || status;
    current.className = error ? "small error" : "small";
    current.textContent = text;
  };
  if (told.has(contactId)) tell(told.get(contactId).text, told.get(contactId).error);
  start.addEventListener("click", async () => {
    const flow = manual.find((item) => String(item.id) === choice.value);
    if (!flow) return;
    start.disabled = true;
    try {
      await api(`/api/v1/flows/${flow.id}/runs`, { method: "POST", body: { contact_id: contactId } });
      tell(t("jr_inbox_started", { name: flow.name }));
    } catch (error) {
      tell(error.message, true);
    } finally {
      start.disabled = false;
    }
  });
  return h("div", { class: "journey-start" }, h("div", { class: "row" }, choice, start), status);
}

let serial = 0;

/** The section, filled from the API (tasks of this customer, journeys an agent may start). */
function renderJourneys(container, detail) {
  const contactId = detail.contact.id;
  const tasksBox = h("div", { "aria-live": "polite" });
  const startBox = h("div");
  container.append(h("section", { class: "panel-section journeys-section", id: "contact-journeys" },
    h("h3", { text: t("jr_inbox_title") }),
    h("h4", { class: "small", text: t("jr_inbox_tasks") }), tasksBox,
    h("h4", { class: "small", text: t("jr_inbox_start") }), startBox));
  const mine = ++serial;
  const loadTasks = () => api("/api/v1/tasks?status=open").then((tasks) => {
    if (mine !== serial) return;
    const theirs = tasks.filter((task) => task.contact_id === contactId);
    clear(tasksBox).append(theirs.length
      ? h("ul", { class: "plain" }, theirs.map((task) => taskItem(task, loadTasks)))
      : h("p", { class: "muted small", text: t("jr_inbox_no_tasks") }));
  }).catch(() => { if (mine === serial) clear(tasksBox); });
  loadTasks();
  api("/api/v1/flows").then((flows) => {
    if (mine === serial) clear(startBox).append(starter(contactId, flows));
  }).catch(() => { if (mine === serial) clear(startBox); });
}

provide("contact.panel", renderJourneys);
