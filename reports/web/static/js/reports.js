// The report pages (/reports and /reports/{report}): the period and filters, then each report's figures against
// the previous period, a chart per figure with its table, and CSV links, all from GET /api/v1/reports/....
// The lifecycle page is reports_lifecycle.js. Names (agents, tags, channels) are shown as text, never markup.

import { api } from "./api.js";
import { $, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { barChart, figuresTable, format, isDuration, isRatio, metricName, seconds } from "./reports_charts.js";
import { drawLifecycle } from "./reports_lifecycle.js";

const boot = JSON.parse($("#hub-boot").textContent);
const body = $("#report-body");
const status = $("#report-status");

/** Per report: the headline figures (in order) and the one charted over time. Other numeric figures the API
 * returns are shown too, after these. */
const HEADLINES = {
  service: { first: ["conversations", "first_response", "resolution", "sla_breaches", "incoming_messages",
    "outgoing_messages", "resolved", "reopened", "reply", "bot_containment", "bot_contained", "bot_handoffs"],
    chart: "conversations" },
  agents: { first: ["replies", "resolved", "first_response", "csat_score"], chart: "replies" },
  csat: { first: ["score", "responses", "response_rate", "sent"], chart: "responses" },
  sales: { first: ["orders", "revenue", "refunds"], chart: "orders" },
  campaigns: { first: ["sent", "delivered", "read", "clicked", "replied", "bought"], chart: "sent" },
};
const OVERVIEW = { service: ["conversations", "first_response", "sla_breaches"], csat: ["score", "responses"],
  sales: ["orders", "revenue"], campaigns: ["sent", "bought"], agents: ["replies", "resolved"] };
const FUNNEL = ["sent", "delivered", "read", "clicked", "replied", "bought"];

/** The last `days` days up to the shop's today (boot.today: the reports count days in the shop's time zone). */
function setDays(days) {
  const today = new Date(`${boot.today}T00:00:00Z`);
  $("#filter-to").value = boot.today;
  $("#filter-from").value = new Date(today.getTime() - (days - 1) * 86400000).toISOString().slice(0, 10);
}

function query(extra = {}) {
  const params = new URLSearchParams({ from: $("#filter-from").value, to: $("#filter-to").value });
  const group = $("#filter-group");
  if (group) params.set("group_by", group.value);
  for (const [id, name] of [["#filter-channel", "channel_id"], ["#filter-team", "team_id"]]) {
    const select = $(id);
    if (select && select.value) params.set(name, select.value);
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params;
}

function remember() {
  const params = query();
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function restore() {
  const params = new URLSearchParams(location.search);
  if (params.get("from") && params.get("to")) {
    $("#filter-from").value = params.get("from");
    $("#filter-to").value = params.get("to");
  } else {
    setDays(30);
  }
  for (const [id, name] of [["#filter-group", "group_by"], ["#filter-channel", "channel_id"], ["#filter-team", "team_id"]]) {
    if ($(id) && params.get(name)) $(id).value = params.get(name);
  }
}

function fillFilters() {
  const channel = $("#filter-channel");
  if (channel) for (const c of boot.channels) channel.append(h("option", { value: c.id, text: c.name }));
  const team = $("#filter-team");
  if (team) for (const item of boot.teams) team.append(h("option", { value: item.id, text: item.name }));
}

/** The figures of a totals object worth a card: numbers, durations, and per-currency amounts. */
function figures(totals, first = []) {
  const keys = Object.keys(totals || {}).filter((key) => {
    const value = totals[key];
    return typeof value === "number" || isDuration(value) || value === null;
  });
  return [...first.filter((key) => keys.includes(key) || isMoney(totals?.[key])),
    ...keys.filter((key) => !first.includes(key))];
}

function isMoney(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !isDuration(value)
    && Object.keys(value).length > 0 && Object.keys(value).every((code) => /^[A-Z]{3}$/.test(code));
}

function money(code, minor) {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
    .maximumFractionDigits;
  return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: code })
    .format(minor / 10 ** digits);
}

function change(key, now, before, display = (value) => format(key, value)) {
  const a = isDuration(now) ? now.median_seconds : now;
  const b = isDuration(before) ? before?.median_seconds : before;
  if (typeof a !== "number" || typeof b !== "number") return h("span", { class: "kpi-change muted", text: t("rpt_no_previous") });
  const diff = isRatio(key) ? a - b : b === 0 ? (a === 0 ? 0 : null) : (a - b) / Math.abs(b);
  const arrow = a > b ? "▲" : a < b ? "▼" : "=";
  const shown = diff === null ? arrow : diff === 0 ? arrow : `${arrow} ${
    isRatio(key) ? `${(Math.abs(diff) * 100).toFixed(1)} pt` : `${(Math.abs(diff) * 100).toFixed(0)}%`}`;
  // for times and breaches, down is good
  const lowerBetter = isDuration(now) || /breach|failed|refund|reopened|handoff/.test(key);
  const good = a === b ? "" : (a < b) === lowerBetter ? "good" : "bad";
  return h("span", { class: `kpi-change ${good}`,
    text: t("rpt_vs_previous", { change: shown, previous: display(before) }) });
}

function card(key, totals, previous, display = (value) => format(key, value)) {
  const value = totals[key];
  if (isMoney(value)) {
    return h("div", { class: "kpi", dataset: { metric: key } },
      h("span", { class: "kpi-name", text: metricName(key) }),
      ...Object.entries(value).map(([code, minor]) => h("strong", { class: "kpi-value", text: money(code, minor) })),
      h("span", { class: "kpi-change muted", text: t("rpt_currency_note") }));
  }
  const details = isDuration(value) && value.p90_seconds !== null && value.p90_seconds !== undefined
    ? h("span", { class: "kpi-detail muted", text: `${t("rpt_p90", { value: seconds(value.p90_seconds) })}${
      value.business_median_seconds !== null && value.business_median_seconds !== undefined
        ? ` · ${t("rpt_business", { value: seconds(value.business_median_seconds) })}` : ""}` }) : null;
  return h("div", { class: "kpi", dataset: { metric: key } },
    h("span", { class: "kpi-name", text: metricName(key) }),
    h("strong", { class: "kpi-value", text: display(value) }),
    details, change(key, value, previous ? previous[key] : undefined, display));
}

function csvLink(report, label, extra = {}) {
  return h("a", { class: "btn btn-small csv-link", href: `/api/v1/reports/${report}?${query({ format: "csv", ...extra })}`,
    download: "", text: label });
}

function unitName(groupBy) {
  return t(`rpt_by_${groupBy || "day"}`);
}

/** A daily series with every day of the period, days without figures at zero (the API lists days it has). */
function everyDay(series, groupBy, totals = {}) {
  if ((groupBy && groupBy !== "day") || !series.every((point) => /^\d{4}-\d{2}-\d{2}$/.test(point.key))) return series;
  const from = new Date(`${$("#filter-from").value}T00:00:00Z`);
  const to = new Date(`${$("#filter-to").value}T00:00:00Z`);
  if (!(from <= to) || (to - from) / 86400000 > 400) return series;
  const known = new Map(series.map((point) => [point.key, point]));
  const zeros = Object.fromEntries(Object.entries(totals || {}).filter(([, value]) => typeof value === "number")
    .map(([key]) => [key, 0]));
  const filled = [];
  for (let day = from; day <= to; day = new Date(day.getTime() + 86400000)) {
    const key = day.toISOString().slice(0, 10);
    filled.push(known.get(key) || { key, ...zeros });
  }
  return filled;
}

function pointsOf(list, metric) {
  return (list || []).map((point) => ({ label: point.label || point.key, value: point[metric] }));
}

function tableRows(list) {
  return (list || []).map((point) => ({ label: point.label || point.key, values: point }));
}

function section(title, ...children) {
  return h("section", { class: "admin-card reports-card" }, h("h2", { text: title }), ...children);
}

/** Campaigns' funnels ([{step, count, rate}]) as plain figures ({sent: 990, ...}), as the other reports give. */
function flatFunnel(figures) {
  if (!figures || !Array.isArray(figures.funnel)) return figures || {};
  const { funnel, revenue, variants, ab_test: abTest, ...rest } = figures;
  return { ...rest, ...Object.fromEntries(funnel.map((step) => [step.step, step.count])) };
}

function majorUnits(code) {
  return 10 ** new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits;
}

/** Sales: one part per currency (never summed across currencies): its figures against the previous period,
 * revenue over time with its table, and the rows (agents, channels, campaigns...) with their table. */
function drawSales(data, compact = false) {
  const groupBy = (new URLSearchParams(query())).get("group_by") || "day";
  const parts = [h("p", { class: "muted", text: t("rpt_currency_note") })];
  const currencies = data.totals?.currencies || [];
  if (!currencies.length) parts.push(h("p", { class: "muted", text: t("rpt_no_data") }));
  for (const money_ of currencies) {
    const code = money_.currency;
    const before = (data.previous?.currencies || []).find((item) => item.currency === code) || {};
    const amounts = (item) => ({ orders: item.orders ?? 0, revenue: (item.revenue_minor ?? 0) / majorUnits(code),
      refunds: item.refunds ?? 0, net: (item.net_minor ?? 0) / majorUnits(code) });
    const now = amounts(money_);
    const then = amounts(before);
    const shown = (item) => ({ ...item, revenue: money(code, item.revenue * majorUnits(code)),
      net: money(code, item.net * majorUnits(code)) });
    const kpis = h("div", { class: "kpis" }, ...["orders", "revenue", "refunds", "net"].map((key) => {
      const inCurrency = (value) => money(code, value * majorUnits(code));
      return key === "revenue" || key === "net" ? card(key, now, then, inCurrency) : card(key, now, then);
    }));
    const mine = (list) => (list || []).filter((point) => point.currency === code);
    const series = everyDay(mine(data.series).map((point) => ({ key: point.key, label: point.label, ...amounts(point) })),
      groupBy, { orders: 0, revenue: 0, refunds: 0, net: 0 });
    const unit = unitName(["week", "month"].includes(groupBy) ? groupBy : "day");
    const title = `${t("rpt_table_of", { metric: metricName("revenue"), unit })} · ${code}`;
    const section_ = compact ? h("div", { class: "overview-currency" }, h("h3", { text: code }), kpis)
      : section(`${t("rpt_sales")} · ${code}`, kpis);
    if (series.length) {
      const table = figuresTable(`sales-${code}`, title, t("rpt_key"),
        series.map((point) => ({ label: point.key, values: shown(point) })), ["orders", "revenue", "refunds", "net"]);
      section_.append(barChart(series.map((point) => ({ label: point.key, value: point.revenue })),
        { key: "revenue", title, unit, tableId: `sales-${code}` }),
      compact ? h("details", {}, h("summary", { text: title }), table) : table);
    }
    const none = groupBy === "store" ? t("rpt_online") : "–"; // by store, the orders of no store were made online
    const rows = compact ? [] : mine(data.rows).map((point) => ({ label: point.label || point.key || none, ...amounts(point) }));
    if (rows.length) {
      const rowsTitle = `${t("rpt_table_of", { metric: metricName("revenue"), unit: unitName(groupBy) })} · ${code}`;
      section_.append(barChart(rows.map((row) => ({ label: row.label, value: row.revenue })),
        { key: "revenue", title: rowsTitle, unit: unitName(groupBy), tableId: `sales-rows-${code}`, horizontal: true }),
      figuresTable(`sales-rows-${code}`, rowsTitle, t("rpt_name"),
        rows.map((row) => ({ label: row.label, values: shown(row) })), ["orders", "revenue", "refunds", "net"]));
    }
    parts.push(section_);
  }
  parts.push(h("p", { class: "reports-csv" }, csvLink("sales", t("rpt_download_csv"))));
  return parts;
}

function drawReport(report, data) {
  if (report === "sales") return drawSales(data);
  if (report === "campaigns") {
    data = { ...data, totals: flatFunnel(data.totals), previous: flatFunnel(data.previous),
      rows: (data.rows || []).map(flatFunnel) };
  }
  const spec = HEADLINES[report] || { first: [], chart: null };
  const keys = figures(data.totals, spec.first);
  const groupBy = (new URLSearchParams(query())).get("group_by") || "day";
  const parts = [h("div", { class: "kpis" }, ...keys.map((key) => card(key, data.totals, data.previous)))];
  const numeric = keys.filter((key) => !isMoney(data.totals[key]));
  // distributions: first responses by time taken (service), ratings 5 to 1 (CSAT)
  for (const [name, title, first, counted] of [
    ["first_response_buckets", t("rpt_distribution"), metricName("first_response"), "conversations"],
    ["ratings", t("rpt_ratings"), t("rpt_rating"), "responses"]]) {
    const buckets = data.totals && data.totals[name];
    if (!buckets || typeof buckets !== "object") continue;
    const entries = Object.entries(buckets);
    if (name === "ratings") entries.sort((a, b) => Number(b[0]) - Number(a[0]));
    const points = entries.map(([label, value]) => ({ label: name === "ratings" ? `${"★".repeat(Number(label))} ${label}` : label, value }));
    parts.push(section(title,
      barChart(points, { key: counted, title, unit: "", tableId: `table-${name}`, horizontal: true }),
      figuresTable(`table-${name}`, title, first,
        points.map((point) => ({ label: point.label, values: { [counted]: point.value } })), [counted])));
  }
  if (report === "campaigns" && (data.rows || []).length) parts.push(funnel(data.rows));
  const series = everyDay(data.series || [], groupBy, data.totals);
  const chart = spec.chart && numeric.includes(spec.chart) ? spec.chart : numeric[0];
  if (series.length && chart) {
    const title = t("rpt_table_of", { metric: metricName(chart), unit: unitName(["week", "month"].includes(groupBy) ? groupBy : "day") });
    const unit = unitName(["week", "month"].includes(groupBy) ? groupBy : "day");
    const perPoint = data.previous && typeof data.previous[chart] === "number" && series.length
      ? data.previous[chart] / series.length : null;
    parts.push(section(title,
      barChart(pointsOf(series, chart), { key: chart, title, unit, tableId: "table-series", previous: perPoint }),
      figuresTable("table-series", title, t("rpt_key"), tableRows(series), numeric.filter((k) => series.some((p) => k in p)))));
  }
  const rows = data.rows || [];
  if (rows.length && report !== "campaigns") {
    const title = t("rpt_table_of", { metric: metricName(chart), unit: unitName(groupBy) });
    parts.push(section(title,
      barChart(pointsOf(rows, chart), { key: chart, title, unit: unitName(groupBy), tableId: "table-rows", horizontal: true }),
      figuresTable("table-rows", title, t("rpt_name"), tableRows(rows), numeric.filter((k) => rows.some((p) => k in p)))));
  }
  if (!series.length && !rows.length && !keys.length) parts.push(h("p", { class: "muted", text: t("rpt_no_data") }));
  parts.push(h("p", { class: "reports-csv" }, csvLink(report,
    report === "service" ? t("rpt_download_csv_rows") : t("rpt_download_csv"))));
  return parts;
}

/** Campaigns side by side: each one's funnel (sent → ... → bought) as bars, with its table. */
function funnel(rows) {
  const stages = FUNNEL.filter((stage) => rows.some((row) => typeof row[stage] === "number"));
  return section(t("rpt_campaigns"),
    h("div", { class: "funnels" }, ...rows.slice(0, 6).map((row, i) => h("div", { class: "funnel" },
      h("h3", { text: row.label || row.key }),
      barChart(stages.map((stage) => ({ label: metricName(stage), value: row[stage] })),
        { key: "sent", title: row.label || row.key, unit: "", tableId: "table-funnels", horizontal: true, id: i })))),
    figuresTable("table-funnels", t("rpt_campaigns"), t("rpt_name"), tableRows(rows), stages));
}

async function load(report) {
  const data = await api(`/api/v1/reports/${report}?${query()}`);
  return data;
}

async function drawOverview() {
  const cards = await Promise.all(boot.reports.filter((report) => report !== "lifecycle").map(async (report) => {
    try {
      let data = await load(report);
      if (report === "campaigns") data = { ...data, totals: flatFunnel(data.totals), previous: flatFunnel(data.previous) };
      if (report === "sales") {
        return h("section", { class: "admin-card reports-card overview-card", dataset: { report } },
          h("h2", {}, h("a", { href: `/reports/sales?${query()}`, text: t("rpt_sales") })), ...drawSales(data, true).slice(1, -1));
      }
      const keys = (OVERVIEW[report] || []).filter((key) => key in (data.totals || {}));
      const chart = HEADLINES[report]?.chart;
      const series = everyDay(data.series || [], "day", data.totals);
      const title = metricName(chart);
      return h("section", { class: "admin-card reports-card overview-card", dataset: { report } },
        h("h2", {}, h("a", { href: `/reports/${report}?${query()}`, text: t(`rpt_${report}`),
          "aria-label": t("rpt_open_report", { name: t(`rpt_${report}`) }) })),
        h("div", { class: "kpis" }, ...keys.map((key) => card(key, data.totals, data.previous))),
        series.some((point) => Number(point[chart]) > 0) ? [
          barChart(pointsOf(series, chart), { key: chart, title, unit: t("rpt_by_day"), tableId: `overview-${report}` }),
          h("details", {}, h("summary", { text: t("rpt_table_of", { metric: title, unit: t("rpt_by_day") }) }),
            figuresTable(`overview-${report}`, title, t("rpt_key"), tableRows(series), [chart]))] : null);
    } catch (error) {
      return h("section", { class: "admin-card reports-card overview-card", dataset: { report } },
        h("h2", { text: t(`rpt_${report}`) }),
        h("p", { class: "muted", text: error.status === 404 ? t("rpt_missing") : t("rpt_error", { reason: error.message }) }));
    }
  }));
  const parts = [h("div", { class: "overview-grid" }, ...cards)];
  if (boot.reports.includes("lifecycle")) {
    const holder = h("section", { class: "admin-card reports-card overview-card overview-lifecycle", dataset: { report: "lifecycle" } },
      h("h2", {}, h("a", { href: "/reports/lifecycle", text: t("rpt_lifecycle") })));
    parts.push(holder);
    drawLifecycle(holder, boot, { compact: true }).catch(() => holder.append(h("p", { class: "muted", text: t("rpt_missing") })));
  }
  return parts;
}

async function show() {
  status.textContent = t("rpt_loading");
  remember();
  try {
    let parts;
    if (boot.report === "overview") parts = await drawOverview();
    else if (boot.report === "lifecycle") {
      clear(body);
      await drawLifecycle(body, boot, { compact: false });
      status.textContent = "";
      return;
    } else parts = drawReport(boot.report, await load(boot.report));
    clear(body).append(...parts);
    status.textContent = "";
  } catch (error) {
    clear(body);
    status.textContent = error.status === 404 ? t("rpt_missing") : t("rpt_error", { reason: error.message });
  }
}

fillFilters();
restore();
$("#report-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  show();
});
for (const button of document.querySelectorAll(".reports-presets [data-days]")) {
  button.addEventListener("click", () => {
    setDays(Number(button.dataset.days));
    show();
  });
}
show();
