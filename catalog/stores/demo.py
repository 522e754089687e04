"""Demo store for `make run`: "Causeway Bay" in Hong Kong and its clerk (store@hub.local, the demo password),
who signs in to the redemption page at /store. Loaded once; running it again changes nothing."""

from __future__ import annotations

from sqlmodel import select

from catalog.stores import service
from catalog.stores.models import Store
from hub.agents import service as agents
from hub.demo import ADMIN
from hub.runtime.db import session_scope

CLERK = ("store@hub.local", "黃小姐 Ms Wong")
STORE = ("Causeway Bay", "500 Hennessy Road, Causeway Bay, Hong Kong", "Asia/Hong_Kong")


def announce() -> str | None:
    with session_scope() as session:
        if session.exec(select(Store)).first() is not None:
            return None
        clerk = agents.create_user(session=session, email=CLERK[0], password=ADMIN[1], role="store", name=CLERK[1],
                                   locale="zh_Hant")
        service.create(session=session, name=STORE[0], address=STORE[1], timezone=STORE[2],
                       staff_ids=[clerk.id or 0])
    return f"demo store: {STORE[0]}, its clerk {CLERK[0]} redeems coupons at /store"
