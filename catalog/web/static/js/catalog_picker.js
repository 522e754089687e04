// The composer's product picker: search the catalog, tick up to 10 variants, send them as one product card
// (one variant) or product list (several) with an Idempotency-Key, priced in the conversation's currency.
// Opened for a payment link instead, it shows the customer's open cart and sends a checkout link for the cart
// plus the chosen variants (POST /api/v1/conversations/{id}/payment-link).

import { api, query } from "./api.js";
import { priceIn, variantLabel } from "./catalog_money.js";
import { $, clear, debounce, h } from "./dom.js";
import { t } from "./i18n.js";

export const MAX_PRODUCTS = 10;

function newKey() {
  return globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export class ProductPicker {
  constructor(root, opener, { onSent, onOpenChange = () => {} }) {
    this.root = root;
    this.opener = opener;
    this.onSent = onSent;
    this.onOpenChange = onOpenChange;
    this.search = $("#picker-search", root);
    this.results = $("#picker-results", root);
    this.error = $("#picker-error", root);
    this.count = $("#picker-count", root);
    this.sendButton = $("#picker-send", root);
    this.currencyLabel = $("#picker-currency", root);
    this.title = $("#picker-title", root);
    this.cartLine = $("#picker-cart", root);
    this.pay = false;
    this.cartCount = 0;
    this.conversationId = null;
    this.currency = null;
    this.chosen = new Map();  // variant id → label
    this.key = newKey();
    this.serial = 0;
    this.sending = false;
    this.search.addEventListener("input", debounce(() => this.load(), 200));
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {  // the picker sits in the composer's form: never send the reply from here
        event.preventDefault();
        this.load();
      }
    });
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.close();
      }
    });
    $("#picker-cancel", root).addEventListener("click", () => this.close());
    this.sendButton.addEventListener("click", () => this.send());
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** Open for products, or (`pay`) for a payment link, from the button `opener`. */
  async open(conversationId, { pay = false, opener = null } = {}) {
    if (this.isOpen && opener && opener !== this.opener) this.opener.setAttribute("aria-expanded", "false");
    if (opener) this.opener = opener;
    if (this.pay !== pay) this.key = newKey();
    this.pay = pay;
    this.title.textContent = pay ? t("paylink_title") : t("product_send_title");
    this.cartCount = 0;
    this.cartLine.textContent = "";
    this.cartLine.hidden = !pay;
    if (this.conversationId !== conversationId) {
      this.chosen.clear();
      this.key = newKey();
      this.search.value = "";
    }
    this.conversationId = conversationId;
    // The last search's rows go at once: their ticks may be from a choice already sent (and cleared), and a
    // box shown ticked but not chosen would be left out of the next message.
    clear(this.results).append(h("li", { class: "picker-empty", text: t("product_searching") }));
    this.root.hidden = false;
    this.opener.setAttribute("aria-expanded", "true");
    this.onOpenChange(true);
    this.error.textContent = "";
    this.drawCount();
    this.search.focus();
    try {
      const cart = await api(`/api/v1/conversations/${conversationId}/cart`);
      if (conversationId !== this.conversationId) return;
      this.currency = cart.currency;
      this.currencyLabel.textContent = t("product_prices_in", { currency: cart.currency });
      this.cartCount = cart.lines.reduce((sum, line) => sum + line.quantity, 0);
      this.cartLine.textContent = this.cartCount
        ? t("paylink_cart", { count: this.cartCount, total: cart.total }) : t("paylink_cart_empty");
      this.drawCount();
    } catch {
      this.currency = null;
      this.currencyLabel.textContent = "";
    }
    await this.load();
  }

  close({ focus = true } = {}) {
    if (!this.isOpen) return;
    this.root.hidden = true;
    this.opener.setAttribute("aria-expanded", "false");
    this.onOpenChange(false);
    if (focus && !this.opener.disabled) this.opener.focus();
  }

  async load() {
    const serial = ++this.serial;
    const q = this.search.value.trim();
    clear(this.results).append(h("li", { class: "picker-empty", text: t("product_searching") }));
    try {
      const found = await api(`/api/v1/products${query({ q, active: true, limit: 20 })}`);
      if (serial !== this.serial) return;
      this.draw(found);
    } catch (error) {
      if (serial !== this.serial) return;
      clear(this.results);
      this.error.textContent = error.message;
    }
  }

  priceText(variant) {
    if (!this.currency) {
      const first = (variant.prices || [])[0];
      return first ? first.display : "";
    }
    const price = priceIn(variant, this.currency);
    return price ? price.display : t("product_no_price", { currency: this.currency });
  }

  draw(products) {
    clear(this.results);
    const rows = products.flatMap((product) => product.variants.map((variant) => ({ product, variant })));
    if (!rows.length) {
      this.results.append(h("li", { class: "picker-empty", text: t("product_search_empty") }));
      return;
    }
    for (const { product, variant } of rows) {
      const label = variantLabel(product, variant);
      const priced = !this.currency || Boolean(priceIn(variant, this.currency));
      const soldOut = variant.available <= 0;
      const id = `pick-${variant.id}`;
      const box = h("input", {
        type: "checkbox", id, value: variant.id, checked: this.chosen.has(variant.id), disabled: !priced,
        "aria-label": t("product_choose_variant", { name: label }),
        onchange: () => this.toggle(variant.id, label, box),
      });
      const stock = soldOut ? t("product_out_of_stock") : t("product_in_stock", { count: variant.available });
      this.results.append(h("li", { class: "picker-row" + (priced ? "" : " is-unpriced") },
        box,
        h("label", { for: id, class: "picker-label" },
          h("span", { class: "picker-title", text: label }),
          h("span", { class: "picker-sku mono", text: variant.sku }),
          h("span", { class: "picker-stock muted small" + (soldOut ? " is-out" : ""), text: stock })),
        h("span", { class: "picker-price", text: this.priceText(variant) })));
    }
  }

  toggle(variantId, label, box) {
    this.error.textContent = "";
    if (box.checked) {
      if (this.chosen.size >= MAX_PRODUCTS) {
        box.checked = false;
        this.error.textContent = t("product_too_many", { max: MAX_PRODUCTS });
        return;
      }
      this.chosen.set(variantId, label);
    } else {
      this.chosen.delete(variantId);
    }
    this.key = newKey();  // another choice is another message
    this.drawCount();
  }

  drawCount() {
    this.count.textContent = this.chosen.size ? t("product_chosen", { count: this.chosen.size, max: MAX_PRODUCTS }) : "";
    this.sendButton.textContent = this.pay ? t("paylink_send") : t("product_send");
    this.sendButton.disabled = !(this.chosen.size || (this.pay && this.cartCount)) || this.sending;
  }

  async send() {
    if (!(this.chosen.size || (this.pay && this.cartCount)) || this.sending || this.conversationId === null) return;
    const id = this.conversationId;
    this.sending = true;
    this.drawCount();
    this.error.textContent = "";
    try {
      if (this.pay) {  // the cart as it is, plus one of each chosen variant; amounts come from the catalog
        await api(`/api/v1/conversations/${id}/payment-link`, {
          method: "POST", body: { items: [...this.chosen.keys()].map((variantId) => ({ variant_id: variantId, quantity: 1 })) },
          headers: { "Idempotency-Key": this.key },
        });
      } else {
        await api(`/api/v1/conversations/${id}/products`, {
          method: "POST", body: { variant_ids: [...this.chosen.keys()] }, headers: { "Idempotency-Key": this.key },
        });
      }
      this.chosen.clear();
      this.key = newKey();
      this.search.value = "";
      clear(this.results);
      this.close();
      this.onSent(id);
    } catch (error) {
      this.error.textContent = error.message;
    } finally {
      this.sending = false;
      this.drawCount();
    }
  }
}
