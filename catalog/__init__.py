"""Products, carts, orders and payments.

May call hub services; hub imports it only in its composition roots, as `from catalog import router`.
The router is loaded on first use, so that importing `catalog.models` (Alembic, the worker) does not
pull in the web layer.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "router":
        from catalog.views import router

        return router
    raise AttributeError(f"module 'catalog' has no attribute {name!r}")
