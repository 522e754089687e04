// catalog's parts of the inbox: the composer's product and payment-link picker, the contact panel's cart and
// orders. Loaded before inbox.js (catalog's module record names it), so they are there when the inbox draws.

import { ProductPicker } from "./catalog_picker.js";
import { renderCommerce } from "./catalog_orders.js";
import { provide } from "./parts.js";

provide("composer.products", ProductPicker);
provide("contact.panel", renderCommerce);
