// The contact panel: who the customer is, where they write from, their tags, fields and consent,
// then their open cart and orders (catalog_orders.js).

import { renderCommerce } from "./catalog_orders.js";
import { clear, h } from "./dom.js";
import { t, full } from "./i18n.js";

function section(title, ...content) {
  return h("section", { class: "panel-section" }, h("h3", { text: title }), ...content);
}

function fieldValue(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function renderContact(container, detail, onOpen) {
  clear(container);
  const contact = detail.contact;
  const names = detail.channel_names || {};
  const name = contact.name || detail.conversation.contact_name || t("unnamed_contact");  // a visitor: their handle
  container.append(h("h2", { class: "contact-name", id: "contact-name", text: name }));
  const facts = [];
  if (contact.locale) facts.push(t("contact_language", { value: contact.locale }));
  if (contact.timezone) facts.push(t("contact_timezone", { value: contact.timezone }));
  if (facts.length) container.append(h("p", { class: "contact-facts", text: facts.join(" · ") }));

  container.append(section(t("phones_and_handles"), contact.identities.length
    ? h("ul", { class: "plain" }, contact.identities.map((identity) => h("li", {},
      h("span", { class: "muted", text: `${t(`identity_${identity.kind}`)} ` }),
      h("span", { class: "mono", text: identity.value }),
      identity.verified ? h("span", { class: "badge", text: t("verified") }) : null)))
    : h("p", { class: "muted", text: t("none") })));

  container.append(section(t("conversations"), h("ul", { class: "plain" }, detail.conversations.map((item) => h("li", {},
    item.id === detail.conversation.id
      ? h("span", { class: "muted", text: `${item.channel_name} · ${t(`status_${item.status}`)} (${t("this_conversation")})` })
      : h("a", { href: `/conversations/${item.id}`, onclick: (event) => { event.preventDefault(); onOpen(item.id); },
        text: `${item.channel_name} · ${t(`status_${item.status}`)}` }))))));

  container.append(section(t("contact_tags"), contact.tags.length
    ? h("p", { class: "tags" }, contact.tags.map((tag) => h("span", { class: "tag", text: tag })))
    : h("p", { class: "muted", text: t("none") })));

  const fields = Object.entries(contact.custom_fields || {});
  container.append(section(t("custom_fields"), fields.length
    ? h("dl", { class: "fields" }, fields.flatMap(([key, value]) => [h("dt", { text: key }), h("dd", { text: fieldValue(value) })]))
    : h("p", { class: "muted", text: t("none") })));

  const latest = new Map();
  for (const record of contact.consent) latest.set(record.channel_id, record);
  container.append(section(t("consent"), latest.size
    ? h("ul", { class: "plain" }, [...latest.values()].map((record) => h("li", {},
      h("span", { class: `badge consent-${record.status}`, text: t(`consent_${record.status}`) }), " ",
      h("span", { text: names[record.channel_id] || `#${record.channel_id}` }),
      h("span", { class: "muted small", text: ` · ${record.source} · ${full(record.created_at)}` }))))
    : h("p", { class: "muted", text: t("consent_none") })));

  renderCommerce(container, detail);
}
