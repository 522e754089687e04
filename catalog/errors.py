"""What can go wrong in the catalog, each with a sentence a person understands."""

from __future__ import annotations


class CatalogError(ValueError):
    """Input the catalog refuses: the message says why (the API answers 4xx with it)."""


class NotFound(CatalogError):
    """A product, variant, cart or order that does not exist."""


class NoPrice(CatalogError):
    """A variant has no price in the currency asked for."""

    def __init__(self, sku: str, currency: str) -> None:
        super().__init__(f"{sku} has no price in {currency}")
        self.sku = sku
        self.currency = currency


class OutOfStock(CatalogError):
    """Fewer units can be sold than a cart asks for."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        left = "none is left" if available <= 0 else f"only {available} left"
        super().__init__(f"{sku}: {requested} wanted, {left}")
        self.sku = sku
        self.requested = requested
        self.available = max(available, 0)


class CartError(CatalogError):
    """A cart that cannot take this change (checked out, another currency, empty…)."""


class OrderError(CatalogError):
    """An order that cannot move this way (refunding an unpaid order…)."""
