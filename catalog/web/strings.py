"""The strings catalog's scripts show (catalog_*.js): the inbox's product and payment-link picker, the contact
panel's cart and orders, the catalog admin page. Hub's web shell merges them with every package's strings;
the shared catalogs in hub/web/locale translate them."""

from __future__ import annotations

from hub.web.i18n import N_

STRINGS = {
    # Refusals of the cart and checkout API, by their X-Hub-Error code (hub's api.js shows err_<code>)
    "err_cart_empty": N_("The customer's cart is empty: choose products first."),
    "err_checkouts_capped": N_("This conversation had too many checkouts in the last hour: try again later."),
    "err_out_of_stock": N_("Not enough stock for this order."),
    # The product picker, the contact panel's cart and orders (catalog_picker.js, catalog_orders.js)
    "product_search_empty": N_("No product matches."), "product_searching": N_("Searching…"),
    "product_no_price": N_("no {currency} price"), "product_out_of_stock": N_("out of stock"),
    "product_in_stock": N_("{count} in stock"),
    "product_chosen": N_("{count} chosen (at most {max})"),
    "product_too_many": N_("At most {max} products per message."),
    "product_send": N_("Send the products"),
    "product_choose_variant": N_("Choose {name}"), "product_prices_in": N_("Prices in {currency}"),
    "cart_title": N_("Open cart"), "cart_empty": N_("No open cart."), "cart_total": N_("Total: {total}"),
    "cart_line": N_("{quantity} × {title}"),
    "orders_title": N_("Orders"), "orders_none": N_("No orders yet."),
    "orders_error": N_("The orders could not be loaded."),
    "order_lines": N_("Items"), "order_timeline": N_("Timeline"), "order_show": N_("Order {number}"),
    "order_status_pending": N_("Pending payment"), "order_status_paid": N_("Paid"),
    "order_status_expired": N_("Expired"), "order_status_cancelled": N_("Cancelled"),
    "order_status_refunded": N_("Refunded"),
    "event_created": N_("Created"), "event_paid": N_("Paid"), "event_expired": N_("Expired"),
    "event_cancelled": N_("Cancelled"), "event_refunded": N_("Refunded"),
    "event_partly_refunded": N_("Partly refunded"),
    "event_second_payment": N_("Paid a second time"), "event_oversold": N_("Oversold"),
    "event_paid_via": N_("Paid via {provider}"),
    # The catalog admin page (catalog_admin.js)
    "no_products": N_("No products yet."), "no_products_match": N_("No product matches this search."),
    "new_product": N_("New product"), "edit_product": N_("Edit {name}"),
    "product_saved": N_("Saved the product {name}."), "product_active": N_("On sale"),
    "product_draft": N_("Not on sale"), "variant_count": N_("{count} variants"),
    "variant_n": N_("Variant {n}"), "sku": N_("SKU"), "options_label": N_("Options (size: M, colour: Red)"),
    "stock": N_("Stock"), "price_in": N_("Price in {currency}"), "remove_variant": N_("Remove this variant"),
    "need_handle_title": N_("Give the product a handle and a title."), "need_sku": N_("Every variant needs a SKU."),
    "bad_options": N_("Write the options as name: value, separated by commas."),
    "bad_price": N_("{amount} is not a price in {currency}."),
    "too_fine_price": N_("{currency} prices have at most {places} decimal places."),
    "bad_stock": N_("Stock must be a whole number, 0 or more."),
    "import_choose_file": N_("Choose a CSV file first."),
    "import_need_currency": N_("Say which currency Shopify's prices are in."),
    "import_done": N_("{rows} rows read: {created} products created, {updated} updated, "
                      "{variants} variants created, {variants_updated} variants updated."),
    "import_row_error": N_("Row {row}: {message}"), "import_errors": N_("Rows that did not go in"),
    "import_no_errors": N_("Every row went in."), "importing": N_("Importing…"), "load_more": N_("Load more"),
    # The composer's product and payment-link picker (catalog_picker.js)
    "product_send_title": N_("Send a product"), "paylink_title": N_("Send payment link"),
    "paylink_send": N_("Send the payment link"),
    "paylink_cart": N_("Open cart: {count} items, {total}. Chosen products are added to it."),
    "paylink_cart_empty": N_("No open cart: choose the products to pay for."),
}
