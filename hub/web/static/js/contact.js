// The contact panel: who the customer is, where they write from, their tags, fields and consent,
// then their open cart and orders (catalog_orders.js).

import { tagTitle } from "./activity.js";
import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { t, full } from "./i18n.js";
import { every } from "./parts.js";

function section(title, ...content) {
  return h("section", { class: "panel-section" }, h("h3", { text: title }), ...content);
}

function fieldValue(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Languages named in themselves, as the language picker names them.
const LANGUAGE_NAMES = { en: "English", zh_Hant: "繁體中文", ja: "日本語" };

/** The language Hub writes to the customer in and their time zone, which staff may set (empty: inferred). */
function renderPreferences(contact) {
  const autoLocale = t("contact_locale_auto", { value: LANGUAGE_NAMES[contact.customer_locale] || contact.customer_locale });
  const select = h("select", { id: "contact-locale" }, h("option", { value: "", text: autoLocale }),
    Object.entries(LANGUAGE_NAMES).map(([code, name]) => h("option", { value: code, text: name })));
  select.value = LANGUAGE_NAMES[contact.locale] ? contact.locale : "";
  const inferred = contact.timezone ? null : contact.customer_timezone;
  const zone = h("input", { id: "contact-timezone", type: "text", value: contact.timezone || "", spellcheck: "false",
    autocomplete: "off", maxlength: 64,
    placeholder: inferred ? t("contact_tz_auto", { value: inferred }) : t("contact_tz_unknown") });
  const status = h("p", { class: "muted small", id: "contact-prefs-status", role: "status" });
  const save = async (event) => {
    event.preventDefault();
    const body = {};
    const stored = LANGUAGE_NAMES[contact.locale] ? contact.locale : "";
    if (select.value !== stored) body.locale = select.value || null;
    if (zone.value.trim() !== (contact.timezone || "")) body.timezone = zone.value.trim() || null;
    if (!Object.keys(body).length) return;
    try {
      const saved = await api(`/api/v1/contacts/${contact.id}`, { method: "PATCH", body });
      Object.assign(contact, saved);
      delete form.dataset.editing;
      status.textContent = t("saved");
    } catch (error) {
      status.textContent = error.message;
    }
  };
  const form = h("form", { class: "panel-section contact-prefs", id: "contact-prefs", onsubmit: save },
    h("h3", { text: t("contact_prefs") }),
    h("label", { for: "contact-locale", class: "small", text: t("contact_locale_label") }), select,
    h("label", { for: "contact-timezone", class: "small", text: t("contact_tz_label") }), zone,
    h("button", { type: "submit", class: "button small", text: t("save") }),
    h("p", { class: "muted small", text: t("contact_prefs_hint") }), status);
  form.dataset.contactId = String(contact.id);
  const editing = () => { form.dataset.editing = "1"; };
  select.addEventListener("change", editing);
  zone.addEventListener("input", editing);
  return form;
}

export function renderContact(container, detail, onOpen) {
  const contact = detail.contact;
  // A live update redraws the panel: what staff are typing into the preferences is kept, not wiped, and so is
  // what the last save said ("Saved.", or why not: the save's own update comes back as a live one at once).
  const previous = container.querySelector("#contact-prefs");
  const same = previous && previous.dataset.contactId === String(contact.id);
  const kept = same && previous.dataset.editing ? previous : null;
  const said = same ? previous.querySelector("#contact-prefs-status").textContent : "";
  clear(container);
  const names = detail.channel_names || {};
  const name = contact.name || detail.conversation.contact_name || t("unnamed_contact");  // a visitor: their handle
  container.append(h("h2", { class: "contact-name", id: "contact-name", text: name }));
  const facts = [];
  if (contact.locale) facts.push(t("contact_language", { value: contact.locale }));
  if (contact.timezone) facts.push(t("contact_timezone", { value: contact.timezone }));
  if (facts.length) container.append(h("p", { class: "contact-facts", text: facts.join(" · ") }));
  const preferences = kept || renderPreferences(contact);
  if (!kept && said) preferences.querySelector("#contact-prefs-status").textContent = said;
  container.append(preferences);

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
    ? h("p", { class: "tags" }, contact.tags.map((tag) => h("span", { class: "tag", text: tag,
      title: tagTitle(tag, contact.tag_details) })))
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

  for (const panel of every("contact.panel")) panel(container, detail);  // catalog's cart and orders, flows' tasks
}
