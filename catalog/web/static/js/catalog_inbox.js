// catalog's parts of the inbox: the composer's Product and Payment link buttons with their picker (and the p
// shortcut), the contact panel's cart and orders. Loaded before inbox.js (catalog's module record names it),
// so they are there when the inbox draws.

import { ProductPicker } from "./catalog_picker.js";
import { renderCommerce } from "./catalog_orders.js";
import { shortcut } from "./keys.js";
import { provide } from "./parts.js";

/** The composer's tool: products and payment links are replies, offered only when the composer can reply. */
class ProductTools {
  constructor(form, composer) {
    this.composer = composer;
    this.productButton = form.querySelector("#composer-product");
    this.payButton = form.querySelector("#composer-paylink");
    this.picker = new ProductPicker(form.querySelector("#product-picker"), this.productButton, {
      onSent: (id) => composer.onSent(id),
      onOpenChange: (open) => { if (open) composer.closePopup(); },
    });
    for (const [button, pay] of [[this.productButton, false], [this.payButton, true]]) {
      button.hidden = composer.readOnly;  // a marketer reading transcripts never sends
      button.addEventListener("click", () => (this.picker.isOpen && this.picker.pay === pay ? this.picker.close() : this.open({ pay })));
    }
    shortcut("p", () => this.open());
  }

  open({ pay = false } = {}) {
    if (!this.composer.canReply) return;
    this.picker.open(this.composer.detail.conversation.id, { pay, opener: pay ? this.payButton : this.productButton });
  }

  refresh() {
    const off = !this.composer.canReply;
    this.productButton.disabled = off;
    this.payButton.disabled = off;
    if (off) this.picker.close({ focus: false });
  }

  close() {
    this.picker.close({ focus: false });
  }
}

provide("composer.tools", ProductTools);
provide("contact.panel", renderCommerce);
