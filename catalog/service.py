"""The catalog's services in one place: products, carts and orders (each in its own module).

Every function is keyword-only, takes the caller's `session` and leaves committing to the caller.
"""

from catalog.carts import MAX_QUANTITY, CartLine, CartView, add, close, get_cart, open_cart, set_quantity, view
from catalog.errors import CartError, CatalogError, NoPrice, NotFound, OrderError, OutOfStock
from catalog.orders import (
    HOLD,
    ORDER_CHANGED,
    ORDER_PAID,
    Payment,
    cancel,
    checkout,
    due_for_expiry,
    expire,
    find_by_number,
    find_by_payment_ref,
    get_order,
    lines_of,
    mark_paid,
    recent_orders,
    refund,
    timeline,
)
from catalog.products import (
    KEEP,
    VariantInput,
    available,
    create_product,
    get_by_handle,
    get_product,
    get_variant,
    list_products,
    localized,
    price_of,
    prices_of,
    set_price,
    set_stock,
    update_product,
    upsert_variant,
    variant_label,
    variants_of,
)

__all__ = [
    "HOLD", "KEEP", "MAX_QUANTITY", "ORDER_CHANGED", "ORDER_PAID", "CartError", "CartLine", "CartView",
    "CatalogError", "NoPrice", "NotFound", "OrderError", "OutOfStock", "Payment", "VariantInput", "add",
    "available", "cancel", "checkout", "close", "create_product", "due_for_expiry", "expire", "find_by_number",
    "find_by_payment_ref", "get_by_handle", "get_cart", "get_order", "get_product", "get_variant", "lines_of",
    "list_products", "localized", "mark_paid", "open_cart", "price_of", "prices_of", "recent_orders", "refund",
    "set_price", "set_quantity", "set_stock", "timeline", "update_product", "upsert_variant", "variant_label",
    "variants_of", "view",
]
