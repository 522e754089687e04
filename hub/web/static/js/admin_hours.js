// A time zone and weekly opening hours, edited as ranges per day (the shop's and each team's).

import { clear, h } from "./dom.js";
import { full, t } from "./i18n.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
let counter = 0;

/** The zones the browser knows, offered as suggestions for every time zone field. */
export function fillTimeZones(datalist) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  datalist.append(...["UTC", ...zones].map((zone) => h("option", { value: zone })));
}

export function openStatus(hours) {
  if (hours.open_now) return t("open_now");
  return hours.next_opening ? t("closed_now_next", { when: full(hours.next_opening) }) : t("closed_now");
}

function timeInput(value, label) {
  // <input type=time> has no 24:00; a range that ends at 00:00 runs to midnight, which is the same.
  return h("input", { type: "time", class: "input", value: value === "24:00" ? "00:00" : value || "", "aria-label": label });
}

export function hoursEditor(hours) {
  const id = `hours-${++counter}`;
  const weekly = hours.weekly_hours;
  const zone = h("input", { id: `${id}-zone`, class: "input", value: hours.timezone || "UTC", list: "admin-time-zones",
    maxlength: "64", autocomplete: "off", required: true });
  const always = h("input", { type: "checkbox", id: `${id}-always`, checked: weekly === null || weekly === undefined });
  const days = h("div", { class: "days" });
  const rows = {};

  for (const day of DAYS) {
    const name = t(`day_${day}`);
    const ranges = h("ul", { class: "ranges", "aria-label": name });
    const closed = h("span", { class: "muted small", text: t("closed") });
    const sync = () => { closed.hidden = ranges.children.length > 0; };
    const addRange = (open = "09:00", close = "18:00") => {
      const item = h("li", { class: "range" },
        timeInput(open, t("opens_on", { day: name })), h("span", { "aria-hidden": "true", text: "–" }),
        timeInput(close, t("closes_on", { day: name })),
        h("button", { type: "button", class: "btn btn-small", text: "×", "aria-label": t("remove_range", { day: name }),
          onclick: () => { item.remove(); sync(); } }));
      ranges.append(item);
      sync();
    };
    for (const [open, close] of (weekly && weekly[day]) || []) addRange(open, close);
    sync();
    rows[day] = ranges;
    days.append(h("div", { class: "day-row" }, h("span", { class: "day-name", text: name }), h("div", { class: "day-ranges" },
      ranges, closed, h("button", { type: "button", class: "btn btn-small", text: t("add_range"),
        "aria-label": t("add_range_on", { day: name }), onclick: () => addRange() }))));
  }
  const showDays = () => { days.hidden = always.checked; };
  always.addEventListener("change", showDays);
  showDays();

  const el = h("div", { class: "hours-editor" },
    h("div", { class: "admin-grid" },
      h("label", { for: zone.id, text: t("timezone") }), zone,
      h("span", { class: "admin-grid-label", text: t("schedule") }),
      h("label", { class: "check", for: always.id }, always, ` ${t("always_open")}`)),
    days);

  function read() {
    if (always.checked) return { timezone: zone.value.trim() || "UTC", weekly_hours: null };
    const result = {};
    for (const day of DAYS) {
      const ranges = [];
      for (const item of rows[day].children) {
        const [open, close] = item.querySelectorAll("input");
        if (open.value && close.value) ranges.push([open.value, close.value]);
      }
      if (ranges.length) result[day] = ranges;
    }
    return { timezone: zone.value.trim() || "UTC", weekly_hours: result };
  }

  return { el, read };
}

export function showHours(root, hours) {
  clear(root);
  const editor = hoursEditor(hours);
  root.append(h("p", { class: "open-status", text: openStatus(hours) }), editor.el);
  return editor;
}
