// A launched campaign's live report: the numbers with their rates, the funnel as bars (widths set from script,
// which the CSP allows), the A/B comparison, pause / resume / cancel and the CSV; refreshed while it sends.

import { call } from "./admin_api.js";
import { $, clear, h } from "./dom.js";
import { reasonLine } from "./campaigns_editor.js";
import { t } from "./i18n.js";

const COUNTS = ["recipients", "skipped", "queued", "sent", "delivered", "read", "failed", "replied", "clicked", "converted",
  "store_visits"];  // store_visits: the campaign's coupons redeemed at a store's till
const LIVE = new Set(["scheduled", "running", "paused"]);
const REFRESH_MS = 3000;
const DONE = { pause: "cmp_paused", resume: "cmp_resumed", cancel: "cmp_cancelled" };
const percent = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent", maximumFractionDigits: 1 });
let notify = () => {};
let afterChange = () => {};
const state = { campaign: null, timer: null, asked: 0, live: false };

function rate(value) {
  return percent.format(Number(value) || 0);
}

function drawNumbers(stats) {
  const list = clear($("#report-numbers"));
  for (const name of COUNTS) {
    const rateText = name === "recipients" ? "" : rate(stats[`${name}_rate`]);
    list.append(h("div", { class: `report-number number-${name}`, dataset: { name, value: stats[name] } },
      h("dt", { text: t(`cmp_stat_${name}`) }),
      h("dd", {}, h("span", { class: "report-value", text: stats[name] }),
        rateText ? h("span", { class: "report-rate", text: rateText }) : null)));
  }
}

function drawFunnel(stats) {
  const box = clear($("#report-funnel"));
  for (const step of stats.funnel || []) {
    const bar = h("div", { class: `funnel-bar funnel-${step.step}` });
    bar.style.width = `${Math.max(0, Math.min(100, (Number(step.rate) || 0) * 100))}%`;
    box.append(h("div", { class: "funnel-row", role: "listitem", dataset: { step: step.step, count: step.count } },
      h("span", { class: "funnel-label", text: t(`cmp_stat_${step.step}`) }),
      h("div", { class: "funnel-track" }, bar),
      h("span", { class: "funnel-value", text: t("cmp_count_rate", { count: step.count, rate: rate(step.rate) }) })));
  }
}

function pValue(value) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(3);
}

function drawAb(stats) {
  const box = clear($("#report-ab"));
  const variants = Object.entries(stats.variants || {});
  if (variants.length < 2) {
    box.append(h("p", { class: "muted", text: t("cmp_ab_single") }));
    return;
  }
  const head = h("tr", {}, h("th", { scope: "col", text: t("cmp_variant_name") }),
    ...["recipients", "sent", "replied", "clicked", "converted"].map((name) => h("th", { scope: "col", text: t(`cmp_stat_${name}`) })));
  const rows = variants.map(([name, numbers]) => h("tr", {}, h("th", { scope: "row", text: name }),
    h("td", { text: numbers.recipients }),
    ...["sent", "replied", "clicked", "converted"].map((key) => h("td", { text: t("cmp_count_rate", { count: numbers[key], rate: rate(numbers[`${key}_rate`]) }) }))));
  box.append(h("table", { class: "report-table" }, h("thead", {}, head), h("tbody", {}, ...rows)));
  for (const test of stats.ab_test || []) {
    for (const metric of ["replied", "converted"]) {
      const result = test[metric];
      const verdict = result.significant
        ? t("cmp_ab_significant", { b: test.b, a: test.a, metric: t(`cmp_stat_${metric}`), p: pValue(result.p_value) })
        : t("cmp_ab_not_significant", { b: test.b, a: test.a, metric: t(`cmp_stat_${metric}`), p: pValue(result.p_value) });
      box.append(h("p", { class: "ab-verdict" + (result.significant ? " is-significant" : ""), text: verdict }));
    }
  }
}

function drawStatus(status) {
  const badge = $("#report-status");
  badge.textContent = t(`cmp_status_${status}`);
  badge.className = `badge status-${status}`;
  $("#report-pause").hidden = !["running", "scheduled"].includes(status);
  $("#report-resume").hidden = status !== "paused";
  $("#report-cancel").hidden = !LIVE.has(status);
}

async function refresh() {
  if (!state.campaign) return;
  const asked = ++state.asked;
  const id = state.campaign.id;
  try {
    const stats = await call(`/api/v1/campaigns/${id}/stats`);
    if (asked !== state.asked || !state.campaign || state.campaign.id !== id) return;
    $("#report-error").textContent = "";
    const before = state.campaign.status;
    state.campaign.status = stats.status;
    drawStatus(stats.status);
    drawNumbers(stats);
    drawFunnel(stats);
    drawAb(stats);
    drawInterrupted(stats);
    drawReasons(stats);
    state.live = Boolean(stats.live);
    $("#campaign-report").dataset.live = state.live ? "yes" : "no";
    $("#campaign-report").dataset.status = stats.status;
    if (before !== stats.status) afterChange();
  } catch (error) {
    $("#report-error").textContent = error.message;
  }
  schedule();
}

/* Recipients whose message may not have been sent (`unknown`: the provider never answered or a worker died
 * with it in flight, and no receipt said it arrived): the marketer may send to them again
 * (POST /api/v1/campaigns/{id}/resend-unknown); nothing does it by itself. */
function drawInterrupted(stats) {
  const count = stats.unknown || 0;
  const box = $("#report-interrupted");
  box.hidden = count === 0 || stats.status === "cancelled";
  box.dataset.count = count;
  $("#report-interrupted-text").textContent = t("cmp_unknown_notice", { count });
}

/* Why recipients were skipped or failed, counted by reason (the CSV has each one). */
function drawReasons(stats) {
  const items = stats.reasons || [];
  $("#report-reasons-box").hidden = items.length === 0;
  clear($("#report-reasons")).append(...items.map((item) => h("li", {
    class: `reason reason-${item.state}`, dataset: { state: item.state, reason: item.reason, count: item.count },
    text: reasonLine(item) })));
}

async function resend() {
  if (!state.campaign) return;
  try {
    const answer = await call(`/api/v1/campaigns/${state.campaign.id}/resend-unknown`, { method: "POST" });
    state.campaign.status = answer.status;
    notify(t("cmp_resent", { count: answer.resent }));
    afterChange();
    await refresh();
  } catch (error) {
    $("#report-error").textContent = error.message;
  }
}

function schedule() {
  clearTimeout(state.timer);
  // while it sends, and after it is done for its attribution window: replies, clicks and purchases still come
  if (state.campaign && (LIVE.has(state.campaign.status) || state.live)) state.timer = setTimeout(refresh, REFRESH_MS);
}

async function move(action) {
  if (!state.campaign) return;
  try {
    const moved = await call(`/api/v1/campaigns/${state.campaign.id}/${action}`, { method: "POST" });
    state.campaign = moved;
    notify(t(DONE[action], { name: moved.name }));
    afterChange();
    await refresh();
  } catch (error) {
    $("#report-error").textContent = error.message;
  }
}

export function openReport(campaign) {
  state.campaign = { ...campaign };
  $("#campaign-report").hidden = false;
  $("#report-title").textContent = campaign.name;
  $("#report-csv").setAttribute("href", `/api/v1/campaigns/${campaign.id}/recipients.csv`);
  drawStatus(campaign.status);
  clear($("#report-numbers"));
  clear($("#report-funnel"));
  clear($("#report-ab"));
  $("#report-interrupted").hidden = true;
  $("#report-reasons-box").hidden = true;
  state.live = false;
  refresh();
}

export function closeReport() {
  clearTimeout(state.timer);
  state.campaign = null;
  $("#campaign-report").hidden = true;
}

export function setupReport(options) {
  ({ notify, afterChange } = options);
  $("#report-pause").addEventListener("click", () => move("pause"));
  $("#report-resume").addEventListener("click", () => move("resume"));
  $("#report-cancel").addEventListener("click", () => move("cancel"));
  $("#report-close").addEventListener("click", closeReport);
  $("#report-resend").addEventListener("click", resend);
}
