"""`/admin/integrations`: admins make and revoke API keys and manage webhook endpoints, read the delivery log
and replay a delivery. Plain HTML forms like hub's other admin screens: each posts here with the CSRF token,
calls the same services as the API (same audit entries), then redirects back with a notice."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from hub.agents.models import User
from hub.api.deps import AdminUser, DbSession
from hub.api_keys import service as api_keys
from hub.api_keys.service import SCOPE_HELP, Scope
from hub.web import i18n, render
from hub.webhooks_out import service
from hub.webhooks_out.events import EventType
from hub.webhooks_out.models import WebhookDelivery, WebhookEndpoint

router = APIRouter(include_in_schema=False)
PAGE = "/admin/integrations"


def _notice(request: Request, locale: str) -> str | None:
    _ = i18n.gettext_for(locale).gettext
    notices = {"revoked": _("API key revoked: requests with it now get 401."),
               "endpoint": _("Webhook endpoint saved."), "deleted": _("Webhook endpoint deleted."),
               "replayed": _("Delivery queued again.")}
    return notices.get(request.query_params.get("done", ""))


def _back(done: str, **query: Any) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?{urlencode({'done': done, **query})}", status_code=303)


def _page(request: Request, session: Session, user: User, *, status: int = 200, error: str | None = None,
          new_secret: str | None = None) -> Response:
    endpoints = list(session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))))
    shown = request.query_params.get("endpoint", "")
    log = (service.deliveries(session=session, endpoint_id=int(shown), before_id=None, limit=50)
           if shown.isdigit() else [])
    return render.page(request, "admin_integrations.html", locale=user.locale, status=status, user=user,
                       keys=api_keys.listed(session=session), scopes=list(SCOPE_HELP.items()),
                       event_types=[kind.value for kind in EventType], error=error, new_secret=new_secret,
                       endpoints=[(row, service.signing_secret(row)) for row in endpoints],
                       shown=int(shown) if shown.isdigit() else None, log=log,
                       notice=_notice(request, user.locale))


@router.get(PAGE)
def integrations_page(request: Request, session: DbSession) -> Response:
    user = render.admin(request, session)
    if isinstance(user, Response):
        return user
    return _page(request, session, user)


@router.post(f"{PAGE}/api-keys")
async def create_key(request: Request, session: DbSession, admin: AdminUser) -> Response:
    """Make a key and show its secret on the page this once (no redirect: the secret is never in a URL)."""
    form = await request.form()
    _ = i18n.gettext_for(admin.locale).gettext
    name = str(form.get("name", "")).strip()[:100]
    scopes = [Scope(value) for value in form.getlist("scopes") if value in {s.value for s in Scope}]
    if not name or not scopes:
        return _page(request, session, admin, status=422, error=_("Give the key a name and at least one scope."))
    _row, secret = api_keys.create(session=session, actor_id=admin.id, name=name, scopes=scopes)
    session.commit()
    return _page(request, session, admin, new_secret=secret)


@router.post(PAGE + "/api-keys/{key_id}/revoke")
def revoke_key(key_id: int, session: DbSession, admin: AdminUser) -> Response:
    api_keys.revoke(session=session, actor_id=admin.id, key_id=key_id)
    session.commit()
    return _back("revoked")


@router.post(f"{PAGE}/webhook-endpoints")
async def create_endpoint(request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    _ = i18n.gettext_for(admin.locale).gettext
    url = str(form.get("url", "")).strip()[:2000]
    kinds = [EventType(value) for value in form.getlist("event_types") if value in {k.value for k in EventType}]
    if not url or not kinds:
        return _page(request, session, admin, status=422, error=_("Give the endpoint a URL and at least one event."))
    try:
        row, _secret = service.create(session=session, actor_id=admin.id, url=url, event_types=kinds,
                                      description=str(form.get("description", "")).strip()[:200])
    except service.EndpointRefused as error:
        session.rollback()
        return _page(request, session, admin, status=422, error=str(error))
    session.commit()
    return _back("endpoint", endpoint=row.id)


@router.post(PAGE + "/webhook-endpoints/{endpoint_id}/{action}")
def change_endpoint(endpoint_id: int, action: str, request: Request, session: DbSession,
                    admin: AdminUser) -> Response:
    """`enable`, `disable` or `delete` an endpoint."""
    row = session.get(WebhookEndpoint, endpoint_id)
    if row is None or action not in ("enable", "disable", "delete"):
        _ = i18n.gettext_for(admin.locale).gettext
        return render.error_page(request, locale=admin.locale, status=404, title=_("Not found"),
                                 detail=_("This webhook endpoint does not exist."))
    if action == "delete":
        service.delete(session=session, actor_id=admin.id, endpoint=row)
        session.commit()
        return _back("deleted")
    service.change(session=session, actor_id=admin.id, endpoint=row, values={"enabled": action == "enable"})
    session.commit()
    return _back("endpoint", endpoint=endpoint_id)


@router.post(PAGE + "/webhook-deliveries/{delivery_id}/replay")
def replay(delivery_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        _ = i18n.gettext_for(admin.locale).gettext
        return render.error_page(request, locale=admin.locale, status=404, title=_("Not found"),
                                 detail=_("This delivery does not exist."))
    service.replay(session=session, actor_id=admin.id, delivery=delivery)
    session.commit()
    return _back("replayed", endpoint=delivery.endpoint_id)
