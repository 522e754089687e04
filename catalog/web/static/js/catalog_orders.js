// The contact panel's shop sections: the customer's open cart in this conversation, and their orders
// (number, status, total, date); an order opens to its lines and its status timeline.

import { api } from "./api.js";
import { formatMinor } from "./catalog_money.js";
import { clear, h } from "./dom.js";
import { t, full } from "./i18n.js";

const expanded = new Set();  // order ids kept open across the panel's live refreshes
const details = new Map();  // order id → the last GET /api/v1/orders/{id}
let lastOrders = { contactId: null, orders: null };
let lastCart = { conversationId: null, cart: null };
let serial = 0;

function statusBadge(status) {
  return h("span", { class: `badge order-status order-${status}`, text: t(`order_status_${status}`) });
}

function eventText(event) {
  const key = `event_${event.kind}`;
  const label = t(key);
  if (event.kind === "paid" && event.detail && event.detail.provider) {
    return t("event_paid_via", { provider: event.detail.provider });
  }
  return label === key ? event.kind : label;
}

function orderBody(order) {
  const lines = h("ul", { class: "plain order-lines", "aria-label": t("order_lines") }, order.lines.map((line) => h("li", {},
    h("span", { class: "order-line-title", text: t("cart_line", { quantity: line.quantity, title: line.title }) }),
    h("span", { class: "order-line-price", text: line.line_display || formatMinor(line.line_minor, line.currency) }))));
  const timeline = h("ol", { class: "order-timeline", "aria-label": t("order_timeline") }, order.timeline.map((event) => h("li", {
    class: `timeline-${event.kind}`,
  }, h("span", { class: "timeline-kind", text: eventText(event) }),
  h("time", { class: "muted small", datetime: event.created_at, text: full(event.created_at) }))));
  return h("div", { class: "order-body" },
    h("h4", { text: t("order_lines") }), lines,
    h("h4", { text: t("order_timeline") }), timeline);
}

function orderItem(order, refresh) {
  const open = expanded.has(order.id);
  const bodyId = `order-body-${order.id}`;
  const shown = details.get(order.id) || order;
  const toggle = h("button", {
    type: "button", class: "order-toggle", "aria-expanded": String(open), "aria-controls": bodyId,
    "aria-label": t("order_show", { number: order.number }),
    onclick: async () => {
      if (expanded.has(order.id)) {
        expanded.delete(order.id);
        refresh();
        return;
      }
      expanded.add(order.id);
      refresh();
      try {
        details.set(order.id, await api(`/api/v1/orders/${order.id}`));
      } catch {
        // the list's copy of the order is shown instead
      }
      refresh();
    },
  },
  h("span", { class: "order-number mono", text: order.number }),
  statusBadge(order.status),
  h("span", { class: "order-total", text: order.total_display || formatMinor(order.total_minor, order.currency) }),
  h("time", { class: "order-date muted small", datetime: order.created_at, text: full(order.created_at) }));
  const body = open ? orderBody(shown) : null;
  if (body) body.id = bodyId;
  return h("li", { class: "order" + (open ? " is-open" : ""), dataset: { id: order.id, status: order.status } }, toggle, body);
}

function drawOrders(box, orders) {
  clear(box);
  if (orders === null) return;
  if (!orders.length) {
    box.append(h("p", { class: "muted", text: t("orders_none") }));
    return;
  }
  const redraw = () => drawOrders(box, orders);
  box.append(h("ul", { class: "plain orders" }, orders.map((order) => orderItem(order, redraw))));
}

function drawCart(box, cart) {
  clear(box);
  if (cart === null) return;
  if (!cart.lines.length) {
    box.append(h("p", { class: "muted", text: t("cart_empty") }));
    return;
  }
  box.append(
    h("ul", { class: "plain cart-lines" }, cart.lines.map((line) => h("li", {},
      h("span", { text: t("cart_line", { quantity: line.quantity, title: line.title }) }),
      h("span", { class: "cart-line-price", text: line.line || formatMinor(line.line_minor, cart.currency) })))),
    h("p", { class: "cart-total", text: t("cart_total", { total: cart.total || formatMinor(cart.total_minor, cart.currency) }) }));
}

function section(title, id) {
  const box = h("div", { id, "aria-live": "polite" });
  return [h("section", { class: "panel-section shop-section" }, h("h3", { text: title }), box), box];
}

/** The cart and orders sections, drawn at once from the last answers and refreshed from the API. */
export function renderCommerce(container, detail) {
  const contactId = detail.contact.id;
  const conversationId = detail.conversation.id;
  const [cartSection, cartBox] = section(t("cart_title"), "contact-cart");
  const [ordersSection, ordersBox] = section(t("orders_title"), "contact-orders");
  container.append(cartSection, ordersSection);
  if (lastCart.conversationId === conversationId) drawCart(cartBox, lastCart.cart);
  if (lastOrders.contactId === contactId) drawOrders(ordersBox, lastOrders.orders);
  else expanded.clear();
  const mine = ++serial;
  api(`/api/v1/conversations/${conversationId}/cart`).then((cart) => {
    lastCart = { conversationId, cart };
    if (mine === serial) drawCart(cartBox, cart);
  }).catch(() => { if (mine === serial) clear(cartBox); });
  api(`/api/v1/contacts/${contactId}/orders`).then((orders) => {
    lastOrders = { contactId, orders };
    for (const id of expanded) {  // an open order shows its latest timeline
      const found = orders.find((order) => order.id === id);
      if (found) details.set(id, found);
    }
    if (mine === serial) drawOrders(ordersBox, orders);
  }).catch(() => {
    if (mine === serial) clear(ordersBox).append(h("p", { class: "error", text: t("orders_error") }));
  });
}
