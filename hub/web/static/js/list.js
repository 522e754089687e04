// The conversation list: one row per conversation, newest activity first.

import { tagTitle } from "./activity.js";
import { clear, h, highlighted } from "./dom.js";
import { t, when, full } from "./i18n.js";

function preview(row) {
  const last = row.preview;
  if (!last) return "";
  const text = last.text || t(`kind_${last.kind}`);
  if (last.kind === "note") return t("preview_note", { text });
  return last.direction === "outbound" ? t("preview_you", { text }) : text;
}

/** When searching: the message that matched (not the latest one), its hit marked. */
function matchElement(row, query) {
  return h("span", { class: "conv-preview conv-match", title: t("search_match") }, highlighted(row.match.text, query));
}

function rowElement(row, selected, onOpen, picks, query) {
  const unread = row.unread_count > 0;
  const name = row.contact_name || t("unnamed_contact");
  const labelParts = [name, row.channel_name, row.match ? row.match.text : preview(row)];
  if (unread) labelParts.push(t("unread_count", { count: row.unread_count }));
  const pick = picks ? h("input", { type: "checkbox", class: "conv-pick", checked: picks.chosen.has(row.id),
    "aria-label": t("bulk_pick", { name }), onchange: (event) => picks.onToggle(row.id, event.target.checked) }) : null;
  return h("li", { class: "conv" + (selected ? " is-selected" : "") + (unread ? " is-unread" : "") + (picks ? " has-pick" : ""),
    dataset: { id: row.id } },
    pick,
    h("a", {
      href: `/conversations/${row.id}`, class: "conv-link", "aria-current": selected ? "true" : null,
      "aria-label": labelParts.join(" · "),
      onclick: (event) => { event.preventDefault(); onOpen(row.id, { match: row.match ? row.match.message_id : null }); },
    },
      h("span", { class: "conv-top" },
        h("span", { class: "conv-name", text: name }),
        h("time", { class: "conv-time", datetime: row.last_activity_at, title: full(row.last_activity_at), text: when(row.last_activity_at) })),
      h("span", { class: "conv-mid" },
        h("span", { class: `badge channel-${row.channel_kind}`, text: row.channel_name }),
        row.status !== "open" ? h("span", { class: `badge status-${row.status}`, text: t(`status_${row.status}`) }) : null,
        row.assignee_name ? h("span", { class: "conv-assignee", text: row.assignee_name }) : null,
        unread ? h("span", { class: "unread", "aria-hidden": "true", text: String(row.unread_count) }) : null),
      row.match && query ? matchElement(row, query) : h("span", { class: "conv-preview", text: preview(row) }),
      row.tags.length ? h("span", { class: "conv-tags" }, row.tags.map((tag) => h("span", { class: "tag", text: tag,
        title: tagTitle(tag, row.tag_details) }))) : null));
}

/** `picks` (optional): {chosen: Set of ids, onToggle(id, checked)} draws a checkbox per row for bulk actions;
 * `query`: the search text, marked in each row's matching message. */
export function renderList(container, rows, selectedId, onOpen, picks = null, query = "") {
  clear(container);
  if (!rows.length) {
    container.append(h("li", { class: "empty", text: t("no_conversations") }));
    return;
  }
  for (const row of rows) container.append(rowElement(row, row.id === selectedId, onOpen, picks, query));
}
