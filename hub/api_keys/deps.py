"""`require_scope`: a route that declares a scope takes a signed-in user with the right role, or an API key
with that scope (`Authorization: Bearer hub_live_…`).

A key acts for the admin who made it: routes that filter by the user (what an agent may see) see what that
admin sees, and the key stops working when that admin is deactivated or no longer an admin. Each use is
rate limited per key (429) and written to the audit log.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's annotations, and one of them names
# the scope in the closure.
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.agents import service as agents
from hub.agents.models import Role, User
from hub.api.deps import DbSession, current_user, oauth2
from hub.api_keys import service
from hub.api_keys.service import PREFIX, SCOPE_HELP, Scope

api_key_scheme = HTTPBearer(
    scheme_name="ApiKey", auto_error=False, bearerFormat="hub_live_…",
    description="An API key made by an admin (`POST /api/v1/api-keys`), sent as `Authorization: Bearer "
                "hub_live_…`. Each route lists the scope it needs. Scopes: "
                + "; ".join(f"`{scope.value}`: {text}" for scope, text in SCOPE_HELP.items())
                + ". Over the key's limit per minute: 429 with Retry-After.")


def _any_user(user: User) -> bool:
    return True


def _admin(user: User) -> bool:
    return user.role == Role.admin


ROLE_CHECKS: dict[Scope, Callable[[User], bool]] = {
    Scope.contacts_read: _any_user,
    Scope.conversations_read: _any_user,
    Scope.orders_read: _any_user,
    Scope.messages_send: agents.answers_customers,
    Scope.contacts_write: agents.answers_customers,
}
"""Who may use a scope's routes with a sign-in instead of a key (admins only when a scope is not listed)."""


def require_scope(scope: Scope) -> Callable[..., User]:
    """A dependency giving the user a route acts as: the signed-in user if their role allows the scope, else
    (for a `hub_live_` bearer) the maker of a live key that has the scope."""

    def dependency(request: Request, session: DbSession, bearer: Annotated[str | None, Depends(oauth2)],
                   _key: Annotated[HTTPAuthorizationCredentials | None,
                                   Security(api_key_scheme, scopes=[scope.value])]) -> User:
        if bearer and bearer.startswith(PREFIX):
            return _key_user(request, session, bearer, scope)
        user = current_user(request, session, bearer)
        if not ROLE_CHECKS.get(scope, _admin)(user):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"your role may not do this ({scope.value})")
        return user

    dependency.__name__ = f"require_{scope.name}"
    return dependency


def _key_user(request: Request, session: DbSession, secret: str, scope: Scope) -> User:
    key = service.find(session=session, secret=secret)
    maker = session.get(User, key.created_by_id) if key is not None and key.created_by_id else None
    if key is None or maker is None or not maker.is_active or maker.role != Role.admin:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "this API key is unknown or revoked",
                            headers={"WWW-Authenticate": "Bearer"})
    if scope.value not in key.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this API key lacks the scope {scope.value}")
    if not service.allow(key):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "this API key is over its limit; wait a minute",
                            headers={"Retry-After": "60"})
    service.used(session=session, key=key, method=request.method, path=request.url.path, scope=scope.value)
    request.state.api_key_id = key.id
    return maker


ContactsReader = Annotated[User, Depends(require_scope(Scope.contacts_read))]
ConversationsReader = Annotated[User, Depends(require_scope(Scope.conversations_read))]
MessageSender = Annotated[User, Depends(require_scope(Scope.messages_send))]
OrdersReader = Annotated[User, Depends(require_scope(Scope.orders_read))]
