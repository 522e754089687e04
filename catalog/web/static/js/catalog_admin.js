// The catalog page (admins): search products, create and edit them with their variants, stock and prices
// (typed in major units, sent as minor units), import a CSV (Hub's or Shopify's) and export one.

import { call } from "./admin_api.js";
import { ApiError } from "./api.js";
import { PriceError, places, priceIn, productTitle, toMajorText, toMinor } from "./catalog_money.js";
import { $, clear, h, notify } from "./dom.js";
import { t } from "./i18n.js";

const boot = JSON.parse($("#hub-boot").textContent);
const CURRENCIES = boot.currencies || ["HKD", "JPY", "USD"];
const LOCALES = boot.locales || ["en", "zh_Hant", "ja"];
const meta = document.querySelector('meta[name="csrf-token"]');
const csrf = meta ? meta.getAttribute("content") : "";
const state = { products: [], afterId: null, editing: null, variantSerial: 0 };

/* The list */

function priceSummary(product) {
  const first = product.variants[0];
  if (!first) return "";
  return first.prices.map((price) => price.display).join(" · ");
}

function productRow(product) {
  const name = productTitle(product);
  return h("li", { class: "admin-row product-row" + (product.active ? "" : " is-off"), dataset: { id: product.id } },
    h("div", { class: "admin-row-main" },
      h("strong", { class: "product-name", text: name }),
      h("span", { class: "mono muted", text: product.handle }),
      h("span", { class: "badge" + (product.active ? " consent-opted_in" : ""), text: product.active ? t("product_active") : t("product_draft") }),
      h("span", { class: "muted small", text: t("variant_count", { count: product.variants.length }) }),
      h("span", { class: "small product-prices", text: priceSummary(product) })),
    h("div", { class: "admin-row-actions" },
      h("button", { type: "button", class: "btn btn-small", text: t("edit"), "aria-label": t("edit_product", { name }),
        onclick: () => edit(product) })));
}

function drawList() {
  const list = clear($("#product-list"));
  if (!state.products.length) {
    list.append(h("li", { class: "empty", text: $("#product-search").value.trim() ? t("no_products_match") : t("no_products") }));
  }
  list.append(...state.products.map(productRow));
  $("#product-more").hidden = state.afterId === null;
}

async function loadProducts({ more = false } = {}) {
  const params = new URLSearchParams({ limit: "50" });
  const q = $("#product-search").value.trim();
  if (q) params.set("q", q);
  if (more && state.afterId !== null) params.set("after_id", String(state.afterId));
  const found = await call(`/api/v1/products?${params}`);
  state.products = more ? [...state.products, ...found] : found;
  state.afterId = found.length === 50 ? found[found.length - 1].id : null;
  drawList();
}

/* The form */

function optionsText(options) {
  return Object.entries(options || {}).map(([name, value]) => `${name}: ${value}`).join(", ");
}

function parseOptions(text) {
  const options = {};
  for (const part of text.split(/[,，、\n]/).map((item) => item.trim()).filter(Boolean)) {
    const found = /^([^:：=]+)[:：=](.+)$/.exec(part);
    if (!found) throw new Error(t("bad_options"));
    options[found[1].trim()] = found[2].trim();
  }
  return options;
}

function field(labelText, input) {
  return h("label", { class: "cond-field" }, h("span", { text: labelText }), input);
}

function variantRow(variant = null) {
  const n = ++state.variantSerial;
  const sku = h("input", { class: "input variant-sku", maxlength: "100", autocomplete: "off", value: variant ? variant.sku : "",
    readonly: variant ? true : null });
  const options = h("input", { class: "input variant-options", autocomplete: "off", value: variant ? optionsText(variant.options) : "" });
  const stock = h("input", { class: "input narrow variant-stock", type: "number", min: "0", step: "1", inputmode: "numeric",
    value: variant ? String(variant.stock_on_hand) : "0" });
  const prices = CURRENCIES.map((currency) => {
    const found = variant ? priceIn(variant, currency) : null;
    return h("input", { class: "input narrow variant-price", inputmode: places(currency) ? "decimal" : "numeric",
      autocomplete: "off", dataset: { currency }, placeholder: places(currency) ? "0.00" : "0",
      value: found ? toMajorText(found.amount_minor, currency) : "" });
  });
  const row = h("li", { class: "condition variant-row", dataset: { existing: variant ? "true" : "false" } },
    h("div", { class: "condition-head" },
      h("strong", { text: variant ? variant.sku : t("variant_n", { n }) }),
      variant ? null : h("button", { type: "button", class: "btn btn-small", text: t("remove"), "aria-label": t("remove_variant"),
        onclick: () => row.remove() })),
    h("div", { class: "condition-fields" },
      field(t("sku"), sku), field(t("options_label"), options), field(t("stock"), stock),
      ...prices.map((input) => field(t("price_in", { currency: input.dataset.currency }), input))));
  return row;
}

function showForm(product) {
  state.editing = product;
  const form = $("#product-form");
  form.hidden = false;
  $("#product-error").textContent = "";
  $("#product-form-title").textContent = product ? t("edit_product", { name: productTitle(product) }) : t("new_product");
  $("#product-handle").value = product ? product.handle : "";
  for (const code of LOCALES) {
    $(`#product-title-${code}`).value = product ? product.title[code] || "" : "";
    $(`#product-description-${code}`).value = product ? product.description[code] || "" : "";
  }
  $("#product-image").value = product && product.image_url ? product.image_url : "";
  $("#product-active").checked = product ? product.active : true;
  const list = clear($("#variant-list"));
  state.variantSerial = 0;
  if (product && product.variants.length) list.append(...product.variants.map((variant) => variantRow(variant)));
  else list.append(variantRow());
  $("#product-handle").focus();
  form.scrollIntoView({ block: "start" });
}

function edit(product) {
  showForm(product);
}

function texts(kind) {
  const found = {};
  for (const code of LOCALES) {
    const value = $(`#product-${kind}-${code}`).value.trim();
    if (value) found[code] = value;
  }
  return found;
}

function readVariants() {
  const variants = [];
  for (const row of $("#variant-list").querySelectorAll(".variant-row")) {
    const sku = row.querySelector(".variant-sku").value.trim();
    const optionsRaw = row.querySelector(".variant-options").value.trim();
    const stockRaw = row.querySelector(".variant-stock").value.trim();
    const priceInputs = [...row.querySelectorAll(".variant-price")];
    if (!sku && !optionsRaw && priceInputs.every((input) => !input.value.trim())) continue;  // an empty new row
    if (!sku) throw new Error(t("need_sku"));
    if (stockRaw && !/^\d+$/.test(stockRaw)) throw new Error(t("bad_stock"));
    const prices = {};
    for (const input of priceInputs) {
      if (!input.value.trim()) continue;
      try {
        prices[input.dataset.currency] = toMinor(input.value, input.dataset.currency);
      } catch (failure) {
        if (failure instanceof PriceError) throw new Error(t(failure.kind, failure.params));
        throw failure;
      }
    }
    const variant = { sku, options: parseOptions(optionsRaw), prices };
    if (stockRaw) variant.stock_on_hand = Number(stockRaw);
    variants.push(variant);
  }
  return variants;
}

async function save(event) {
  event.preventDefault();
  const error = $("#product-error");
  error.textContent = "";
  let body;
  try {
    const handle = $("#product-handle").value.trim();
    const title = texts("title");
    if (!handle || !Object.keys(title).length) throw new Error(t("need_handle_title"));
    const image = $("#product-image").value.trim();
    body = { handle, title, description: texts("description"), image_url: image || null,
      active: $("#product-active").checked, variants: readVariants() };
  } catch (failure) {
    error.textContent = failure.message;
    return;
  }
  try {
    const editing = state.editing;
    const saved = editing
      ? await call(`/api/v1/products/${editing.id}`, { method: "PATCH", body })
      : await call("/api/v1/products", { method: "POST", body });
    $("#product-form").hidden = true;
    state.editing = null;
    notify(t("product_saved", { name: productTitle(saved) }));
    await loadProducts();
  } catch (failure) {
    error.textContent = failure.message;
  }
}

/* Import */

async function upload(path, file) {
  const data = new FormData();
  data.append("file", file);
  const response = await fetch(path, { method: "POST", body: data, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf } });
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new ApiError(401, "sign in again");
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, answer && answer.detail, response.headers.get("X-Hub-Error"));
  return answer;
}

function drawImport(result) {
  const box = clear($("#import-result"));
  box.append(h("p", { class: "import-summary", text: t("import_done", {
    rows: result.rows, created: result.products_created, updated: result.products_updated,
    variants: result.variants_created, variants_updated: result.variants_updated }) }));
  if (!result.errors.length) {
    box.append(h("p", { class: "muted", text: t("import_no_errors") }));
    return;
  }
  box.append(h("h3", { text: t("import_errors") }),
    h("ul", { class: "import-errors" }, result.errors.map((item) => h("li", { text: t("import_row_error", { row: item.row, message: item.message }) }))));
}

async function importFile(event) {
  event.preventDefault();
  const error = $("#import-error");
  const button = $("#import-submit");
  error.textContent = "";
  const file = $("#import-file").files[0];
  if (!file) {
    error.textContent = t("import_choose_file");
    return;
  }
  const format = $("#import-format").value;
  const params = new URLSearchParams({ format });
  if (format === "shopify") {
    const currency = $("#import-currency").value;
    if (!currency) {
      error.textContent = t("import_need_currency");
      return;
    }
    params.set("currency", currency);
    params.set("locale", $("#import-locale").value);
  }
  button.disabled = true;
  clear($("#import-result")).append(h("p", { class: "muted", text: t("importing") }));
  try {
    drawImport(await upload(`/api/v1/products/import?${params}`, file));
    await loadProducts();
  } catch (failure) {
    clear($("#import-result"));
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
}

function syncImportFields() {
  const shopify = $("#import-format").value === "shopify";
  for (const id of ["#import-currency", "#import-locale"]) {
    $(id).disabled = !shopify;
  }
}

async function start() {
  $("#product-search-form").addEventListener("submit", (event) => { event.preventDefault(); loadProducts().catch((e) => notify(e.message, true)); });
  $("#product-search").addEventListener("search", () => loadProducts().catch((e) => notify(e.message, true)));
  $("#product-more").addEventListener("click", () => loadProducts({ more: true }).catch((e) => notify(e.message, true)));
  $("#new-product").addEventListener("click", () => showForm(null));
  $("#add-variant").addEventListener("click", () => {
    const row = variantRow();
    $("#variant-list").append(row);
    row.querySelector(".variant-sku").focus();
  });
  $("#product-cancel").addEventListener("click", () => { $("#product-form").hidden = true; state.editing = null; });
  $("#product-form").addEventListener("submit", save);
  $("#import-form").addEventListener("submit", importFile);
  $("#import-format").addEventListener("change", syncImportFields);
  syncImportFields();
  await loadProducts();
  document.body.dataset.ready = "true";
}

start().catch((error) => notify(error.message || t("error"), true));
