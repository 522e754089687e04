// The lifecycle matrix (seed 004): customers by purchase count (new / repeat / loyal) × time since their last
// purchase (active / sleeping / lost), with each cell's share and the active share against its target.
// A cell opens a panel listing some of its customers (the segment preview API) with three actions: save it
// as a segment (POST /api/v1/reports/lifecycle/cells/{cell}/segment), send a campaign, start a journey.
// Customer names go in as text nodes only.

import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { figuresTable, format } from "./reports_charts.js";

const COUNTS = ["new", "repeat", "loyal"];
const RECENCIES = ["active", "sleeping", "lost"];
const DEFAULT_TARGET = 0.3;

function cellName(cell) {
  const [count, recency] = cell.split(" ");
  return t("rpt_lc_cell", { count: t(`rpt_lc_count_${count}`), recency: t(`rpt_lc_recency_${recency}`) });
}

/** The report's cells as {cell: {customers, share}}, from whichever shape the API gives them in. */
function cellsOf(data) {
  const found = {};
  const list = Array.isArray(data.cells) ? data.cells : Array.isArray(data.rows) ? data.rows : [];
  for (const row of list) {
    const cell = String(row.cell || row.key || "").replace(/^lifecycle: /, "").replace(/[-_]/, " ");
    found[cell] = { customers: Number(row.customers ?? row.count ?? 0), share: row.share };
  }
  return found;
}

async function fromReport(boot) {
  const params = new URLSearchParams(location.search);
  params.delete("group_by");
  const data = await api(`/api/v1/reports/lifecycle?${params}`);
  const cells = cellsOf(data.totals && Array.isArray(data.totals.cells) ? data.totals : data);
  return { cells, totals: data.totals || {}, previous: data.previous || null, since: data.since || null,
    transitions: Array.isArray(data.transitions) ? asTable(data.transitions) : data.transitions || null };
}

/** [{from, to, count}] (cells hyphenated, from null: a first purchase) as {from: {to: count}}. */
function asTable(list) {
  const table = {};
  for (const move of list) {
    const from = move.from ? String(move.from).replace("-", " ") : "";
    const to = move.to ? String(move.to).replace("-", " ") : "";
    table[from] = table[from] || {};
    table[from][to] = (table[from][to] || 0) + Number(move.count || 0);
  }
  return table;
}

/** Before the lifecycle report exists: the same nine counts from the segment preview (one query per cell). */
async function fromSegments(boot) {
  const counts = await Promise.all(boot.cells.map((cell) => api("/api/v1/segments/preview", {
    method: "POST", body: { definition: { lifecycle: [cell] }, limit: 0 } })));
  const cells = {};
  boot.cells.forEach((cell, i) => { cells[cell] = { customers: counts[i].count }; });
  return { cells, totals: {}, transitions: null };
}

async function figures(boot) {
  try {
    return await fromReport(boot);
  } catch (error) {
    if (error.status !== 404) throw error;
    return fromSegments(boot);
  }
}

export async function drawLifecycle(holder, boot, { compact }) {
  const { cells, totals, transitions, previous } = await figures(boot);
  const total = Object.values(cells).reduce((sum, cell) => sum + cell.customers, 0);
  for (const cell of Object.values(cells)) if (cell.share === undefined || cell.share === null) cell.share = total ? cell.customers / total : 0;
  const active = totals.active_share ?? (total ? COUNTS.reduce((sum, count) => sum + (cells[`${count} active`]?.customers || 0), 0) / total : 0);
  const target = totals.target ?? totals.active_target ?? DEFAULT_TARGET;
  const panel = h("div", { class: "lc-panel", hidden: true, role: "region", "aria-live": "polite" });
  const max = Math.max(...Object.values(cells).map((cell) => cell.customers), 1);
  const grid = h("table", { class: "lc-matrix", id: "lifecycle-matrix" },
    h("caption", { text: t("rpt_lc_title") }),
    h("thead", {}, h("tr", {}, h("td"), ...RECENCIES.map((recency) => h("th", { scope: "col", text: t(`rpt_lc_recency_${recency}`) })))),
    h("tbody", {}, ...COUNTS.map((count) => h("tr", {}, h("th", { scope: "row", text: t(`rpt_lc_count_${count}`) }),
      ...RECENCIES.map((recency) => {
        const cell = `${count} ${recency}`;
        const figures = cells[cell] || { customers: 0, share: 0 };
        const strength = Math.round((figures.customers / max) * 100);
        const button = h("button", { type: "button", class: "lc-button", dataset: { cell },
            "aria-label": t("rpt_lc_cell_label", { cell: cellName(cell), customers: format("customers", figures.customers),
              share: format("share", figures.share) }),
            onclick: () => openCell(panel, boot, cell, figures) },
          h("strong", { class: "lc-count", text: format("customers", figures.customers) }),
          h("span", { class: "lc-share", text: format("share", figures.share) }));
        button.style.setProperty("--fill", `${strength}%`);  // the CSSOM, not a style attribute: CSP allows it
        return h("td", { class: `lc-cell lc-${recency}` }, button);
      })))));
  const above = active >= target;
  const parts = [
    h("p", { class: `lc-summary ${above ? "good" : "bad"}` },
      h("strong", { text: t("rpt_lc_active", { share: format("share", active), target: format("target", target) }) }),
      " ", h("span", { class: "badge", text: above ? t("rpt_lc_above") : t("rpt_lc_below") }),
      previous && typeof previous.active_share === "number"
        ? h("span", { class: "muted small lc-previous", text: ` ${t("rpt_lc_at_start", { share: format("share", previous.active_share) })}` })
        : null),
    h("div", { class: "lc-layout" }, grid, panel)];
  if (transitions && !compact) parts.push(transitionTable(transitions));
  if (compact) holder.append(...parts);
  else holder.append(h("section", { class: "admin-card reports-card" }, h("h2", { text: t("rpt_lc_title") }), ...parts));
}

function transitionTable(transitions) {
  const names = COUNTS.flatMap((count) => RECENCIES.map((recency) => `${count} ${recency}`));
  const sources = transitions[""] ? [...names, ""] : names;  // "": customers who bought for the first time
  const rows = sources.map((from) => ({ label: from ? cellName(from) : t("rpt_lc_first_purchase"),
    values: Object.fromEntries(names.map((to) => [to, transitions?.[from]?.[to] ?? 0])) }));
  const table = figuresTable("lifecycle-transitions", t("rpt_lc_transitions"), t("rpt_lc_from_to"), rows, names);
  table.querySelectorAll("thead th").forEach((th, i) => { if (i > 0) th.textContent = cellName(names[i - 1]); });
  return h("section", { class: "admin-card reports-card" }, h("h2", { text: t("rpt_lc_transitions") }), table);
}

async function openCell(panel, boot, cell, figures) {
  for (const button of document.querySelectorAll(".lc-button")) button.setAttribute("aria-pressed", String(button.dataset.cell === cell));
  const name = h("input", { id: "lc-segment-name", class: "input", maxlength: 200,
    value: t("rpt_lc_default_name", { cell: cellName(cell), date: boot.today }) });
  const done = h("p", { class: "lc-done", role: "status" });
  const actions = h("div", { class: "row lc-actions" });
  const members = h("ul", { class: "lc-members", "aria-label": t("rpt_lc_members") }, h("li", { class: "muted", text: t("rpt_loading") }));
  const save = async () => {
    saveButton.disabled = true;
    try {
      const segment = await saveSegment(cell, name.value.trim());
      done.textContent = t("rpt_lc_saved", { name: segment.name });
      clear(actions).append(
        h("a", { class: "btn btn-primary", href: `/campaigns?segment=${segment.id}#new-campaign`, text: t("rpt_lc_campaign") }),
        h("a", { class: "btn", href: `/flows?segment=${segment.id}`, text: t("rpt_lc_journey") }));
    } catch (error) {
      done.textContent = error.message;
      saveButton.disabled = false;
    }
  };
  const saveButton = h("button", { type: "button", class: "btn btn-primary", id: "lc-save", text: t("rpt_lc_save"), onclick: save });
  actions.append(saveButton);
  clear(panel).append(
    h("div", { class: "lc-panel-head" },
      h("h3", { text: cellName(cell) }),
      h("button", { type: "button", class: "btn btn-quiet btn-small", text: t("rpt_lc_close"), onclick: () => { panel.hidden = true; } })),
    h("p", { class: "muted", text: `${format("customers", figures.customers)} · ${format("share", figures.share)}` }),
    h("h4", { text: t("rpt_lc_members") }), members,
    h("label", { for: "lc-segment-name", text: t("rpt_lc_segment_name") }), name, actions, done);
  panel.hidden = false;
  try {
    const preview = await api("/api/v1/segments/preview", { method: "POST", body: { definition: { lifecycle: [cell] }, limit: 10 } });
    clear(members);
    if (!preview.members.length) members.append(h("li", { class: "muted", text: t("rpt_lc_no_members") }));
    for (const member of preview.members) members.append(h("li", { text: member.name }));
    if (preview.count > preview.members.length) members.append(h("li", { class: "muted", text: t("rpt_lc_more", { count: preview.count - preview.members.length }) }));
  } catch (error) {
    clear(members).append(h("li", { class: "muted", text: error.message }));
  }
}

/** The cell as a saved segment: reports' endpoint, or (before it exists) the same definition saved directly. */
async function saveSegment(cell, name) {
  const body = name ? { name } : {};
  try {
    return await api(`/api/v1/reports/lifecycle/cells/${encodeURIComponent(cell.replace(" ", "-"))}/segment`,
      { method: "POST", body });
  } catch (error) {
    if (error.status !== 404 && error.status !== 405) throw error;
    return api("/api/v1/segments", { method: "POST", body: { name: name || cell, definition: { lifecycle: [cell] } } });
  }
}
