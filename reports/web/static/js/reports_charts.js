// Small hand-written SVG charts for the report pages, each drawn beside a table with the same figures
// (the table is the accessible version: the chart names it in its description). Labels go in as text
// nodes, never markup, so a tag or agent name is shown as written.

import { h } from "./dom.js";
import { locale, t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
const percents = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });

function s(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== null) el.textContent = String(text);
  return el;
}

/** Is this key's figure a ratio between 0 and 1 (a score, a share, a rate)? */
export function isRatio(key) {
  return /(score|share|rate|target|containment)$/.test(key);
}

export function isDuration(value) {
  return value !== null && typeof value === "object" && "median_seconds" in value;
}

/** A number as people read it: 1,234 / 12.5% / "9 min". */
export function format(key, value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value === "string") return value;  // formatted already (an amount in its currency)
  if (isDuration(value)) return seconds(value.median_seconds);
  if (isRatio(key)) return percents.format(value);
  return numbers.format(value);
}

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  if (value < 90) return t("rpt_seconds", { n: numbers.format(value) });
  if (value < 90 * 60) return t("rpt_minutes", { n: numbers.format(value / 60) });
  if (value < 48 * 3600) return t("rpt_hours", { n: numbers.format(value / 3600) });
  return t("rpt_days", { n: numbers.format(value / 86400) });
}

/** The plotted number of a figure: a duration's median, else the figure. */
export function plotted(value) {
  if (isDuration(value)) return value.median_seconds ?? 0;
  return typeof value === "number" ? value : 0;
}

let charts = 0;

/**
 * A bar chart of `points` ({label, value}), vertical for a time series, horizontal for rows (agents, tags).
 * `tableId` is the table holding the same figures.
 */
export function barChart(points, { key, title, unit, tableId, horizontal = false, previous = null }) {
  charts += 1;
  const id = `chart-${charts}`;
  const width = 640;
  const rowHeight = 26;
  const height = horizontal ? Math.max(60, points.length * rowHeight + 20) : 220;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`, preserveAspectRatio: "xMinYMin meet" });
  svg.append(s("title", { id: `${id}-title` }, title));
  svg.append(s("desc", { id: `${id}-desc` }, t("rpt_chart_of", { metric: title, unit })));
  const values = points.map((point) => plotted(point.value));
  const top = Math.max(...values, previous ?? 0, 1);
  if (horizontal) {
    const left = 150;
    points.forEach((point, i) => {
      const y = 10 + i * rowHeight;
      const w = ((width - left - 70) * values[i]) / top;
      svg.append(s("text", { x: left - 8, y: y + 16, class: "chart-label", "text-anchor": "end" },
        truncate(point.label, 22)));
      svg.append(s("rect", { x: left, y: y + 3, width: Math.max(w, values[i] ? 2 : 0), height: rowHeight - 8,
        rx: 3, class: "chart-bar" }));
      svg.append(s("text", { x: left + w + 6, y: y + 16, class: "chart-value" }, format(key, point.value)));
    });
  } else {
    const bottom = height - 28;
    const left = 44;
    const step = (width - left - 10) / Math.max(points.length, 1);
    const barWidth = Math.max(2, Math.min(36, step * 0.7));
    svg.append(s("line", { x1: left, x2: width - 10, y1: bottom, y2: bottom, class: "chart-axis" }));
    svg.append(s("text", { x: left - 6, y: 14, class: "chart-tick", "text-anchor": "end" }, format(key, top)));
    svg.append(s("text", { x: left - 6, y: bottom, class: "chart-tick", "text-anchor": "end" }, "0"));
    if (previous !== null && previous !== undefined) {  // the previous period's level, per point, as a line
      const y = bottom - ((bottom - 20) * previous) / top;
      svg.append(s("line", { x1: left, x2: width - 10, y1: y, y2: y, class: "chart-previous" }));
    }
    const every = Math.ceil(points.length / 10);
    points.forEach((point, i) => {
      const barHeight = ((bottom - 20) * values[i]) / top;
      const x = left + i * step + (step - barWidth) / 2;
      const bar = s("rect", { x, y: bottom - barHeight, width: barWidth, height: Math.max(barHeight, 0), rx: 2,
        class: "chart-bar" });
      bar.append(s("title", {}, `${point.label}: ${format(key, point.value)}`));
      svg.append(bar);
      if (i % every === 0) {
        svg.append(s("text", { x: x + barWidth / 2, y: bottom + 16, class: "chart-tick", "text-anchor": "middle" },
          shortKey(point.label)));
      }
    });
  }
  return h("figure", { class: "chart-figure", "aria-describedby": tableId }, svg);
}

function truncate(text, length) {
  const value = String(text ?? "");
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

/** "2026-11-03" → "11/3" in the page's language; other keys as they are. */
function shortKey(label) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(label));
  if (!match) return truncate(label, 10);
  return new Intl.DateTimeFormat(locale, { month: "numeric", day: "numeric" })
    .format(new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

/** A table of rows ({label, values...}) with one column per metric; the first column names the row. */
export function figuresTable(id, caption, first, rows, metrics) {
  return h("div", { class: "table-wrap" },
    h("table", { id, class: "reports-table" },
      h("caption", { text: caption }),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: first }),
        ...metrics.map((metric) => h("th", { scope: "col", class: "num", text: metricName(metric) })))),
      h("tbody", {}, ...rows.map((row) => h("tr", {},
        h("th", { scope: "row", text: row.label }),
        ...metrics.map((metric) => h("td", { class: "num", text: format(metric, row.values[metric]) })))))));
}

export function metricName(key) {
  const name = t(`rpt_m_${key}`);
  return name === `rpt_m_${key}` ? key.replaceAll("_", " ") : name;
}
