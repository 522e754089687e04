// loyalty's part of the inbox: the contact panel's points balance, tier, the way to the next tier and the
// latest ledger entries. Loaded before inbox.js (the loyalty module record names it).

import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { t, full } from "./i18n.js";
import { provide } from "./parts.js";

let last = { contactId: null, loyalty: null };
let serial = 0;

function signed(points) {
  return points > 0 ? `+${points}` : String(points);
}

function draw(box, loyalty) {
  clear(box);
  if (loyalty === null) return;
  const tier = loyalty.tier
    ? h("span", { class: "badge loyalty-tier", text: t("loyalty_tier", { tier: loyalty.tier.name }) })
    : h("span", { class: "muted small", text: t("loyalty_no_tier") });
  box.append(h("p", { class: "loyalty-summary" },
    h("strong", { class: "loyalty-balance", text: t("loyalty_balance", { points: loyalty.balance }) }), " ", tier));
  if (loyalty.tier && loyalty.tier.benefits.length) {
    box.append(h("ul", { class: "plain loyalty-benefits small" }, loyalty.tier.benefits.map((text) => h("li", { text }))));
  }
  if (loyalty.next_tier) {
    box.append(h("p", { class: "muted small loyalty-next", text: t("loyalty_next_tier", {
      points: loyalty.next_tier.threshold - loyalty.qualifying_points, tier: loyalty.next_tier.name }) }));
  }
  if (loyalty.entries.length) {
    box.append(h("h4", { text: t("loyalty_recent") }), h("ul", { class: "plain loyalty-entries small" },
      loyalty.entries.slice(0, 5).map((entry) => h("li", { dataset: { kind: entry.kind } },
        h("span", { class: "loyalty-points mono", text: signed(entry.points) }), " ",
        h("span", { text: t(`loyalty_kind_${entry.kind}`) }), " ",
        h("span", { class: "muted", text: entry.reason }), " ",
        h("time", { class: "muted", datetime: entry.created_at, text: full(entry.created_at) })))));
  }
}

/** The loyalty section, drawn at once from the last answer and refreshed from the API. */
export function renderLoyalty(container, detail) {
  const contactId = detail.contact.id;
  const box = h("div", { id: "contact-loyalty", "aria-live": "polite" });
  container.append(h("section", { class: "panel-section loyalty-section" }, h("h3", { text: t("loyalty_title") }), box));
  if (last.contactId === contactId) draw(box, last.loyalty);
  const mine = ++serial;
  api(`/api/v1/contacts/${contactId}/loyalty`).then((loyalty) => {
    last = { contactId, loyalty };
    if (mine === serial) draw(box, loyalty);
  }).catch(() => {
    if (mine === serial) clear(box).append(h("p", { class: "error", text: t("loyalty_error") }));
  });
}

provide("contact.panel", renderLoyalty);
