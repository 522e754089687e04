// The stores page (admins): the stores with their staff, a form to add one, and open / close.

import { call } from "./admin_api.js";
import { $, clear, h, notify } from "./dom.js";
import { t } from "./i18n.js";

const boot = JSON.parse($("#hub-boot").textContent);
const names = new Map((boot.clerks || []).map((clerk) => [clerk.id, clerk.name]));

function row(store) {
  const staff = store.staff_ids.map((id) => names.get(id) || `#${id}`).join(", ") || t("stores_no_staff");
  const toggle = h("button", { type: "button", class: "btn", text: store.active ? t("stores_close") : t("stores_open"),
    onclick: async () => {
      try {
        await call(`/api/v1/stores/${store.id}`, { method: "PATCH", body: { active: !store.active } });
        notify(t("stores_saved"));
        load();
      } catch (error) { notify(error.message, true); }
    } });
  return h("li", { class: "admin-row" + (store.active ? "" : " is-off"), dataset: { id: store.id } },
    h("div", { class: "admin-row-main" }, h("strong", { text: store.name }),
      h("span", { class: "muted", text: `${store.address} · ${store.timezone}` }),
      h("span", { text: staff })), toggle);
}

async function load() {
  const list = clear($("#store-list"));
  const stores = await call("/api/v1/stores");
  if (!stores.length) list.append(h("li", { class: "muted", text: t("stores_none") }));
  for (const store of stores) list.append(row(store));
}

function staffChoices() {
  const box = clear($("#store-staff"));
  if (!names.size) box.append(h("p", { class: "muted", text: t("stores_no_clerks") }));
  for (const [id, name] of names) {
    box.append(h("label", { class: "check" }, h("input", { type: "checkbox", value: id, name: "staff" }), ` ${name}`));
  }
}

$("#store-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const staff = [...document.querySelectorAll('input[name="staff"]:checked')].map((box) => Number(box.value));
  try {
    await call("/api/v1/stores", { method: "POST", body: {
      name: $("#store-name").value.trim(), address: $("#store-address").value.trim(),
      timezone: $("#store-timezone").value.trim() || "UTC", staff_ids: staff } });
    event.target.reset();
    notify(t("stores_saved"));
    load();
  } catch (error) { notify(error.message, true); }
});

staffChoices();
load().catch((error) => notify(error.message, true));
