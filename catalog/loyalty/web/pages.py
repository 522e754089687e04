"""`/admin/loyalty`: admins keep the program (expiry, negative balances), the earn rules per currency and the
tiers. Plain HTML forms like hub's other admin screens: each posts here with the CSRF token, calls the same
services as the API (same audit entries), then redirects back with a notice."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from catalog import money
from catalog.errors import CatalogError
from catalog.loyalty import ledger, program
from hub.agents.models import User
from hub.api.deps import AdminUser, DbSession
from hub.web import i18n, render

router = APIRouter(include_in_schema=False)
PAGE = "/admin/loyalty"


def _notice(request: Request, locale: str) -> str | None:
    _ = i18n.gettext_for(locale).gettext
    notices = {"program": _("Loyalty settings saved."), "rule": _("Earn rule saved."),
               "rule_deleted": _("Earn rule deleted."), "tier": _("Tier saved: every customer's tier is "
                                                                  "recomputed."),
               "tier_deleted": _("Tier deleted.")}
    return notices.get(request.query_params.get("done", ""))


def _back(done: str) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?{urlencode({'done': done})}", status_code=303)


def _page(request: Request, session: Session, user: User, *, status: int = 200, error: str | None = None) -> Response:
    rules = [(rule, money.display(rule.spend_minor, rule.currency, user.locale))
             for rule in program.rules(session=session)]
    return render.page(request, "admin_loyalty.html", locale=user.locale, status=status, user=user,
                       settings=ledger.program(session), rules=rules, tiers=program.tiers(session=session),
                       error=error, notice=_notice(request, user.locale))


def _number(form: Any, name: str) -> int:
    raw = str(form.get(name, "")).strip()
    if not raw.isdigit() or len(raw) > 12:
        raise CatalogError(f"{name}: a whole number of 0 or more")
    return int(raw)


@router.get(PAGE)
def loyalty_page(request: Request, session: DbSession) -> Response:
    user = render.admin(request, session)
    if isinstance(user, Response):
        return user
    return _page(request, session, user)


async def _apply(request: Request, session: Session, admin: User, done: str, change: Any) -> Response:
    form = await request.form()
    try:
        change(form)
    except CatalogError as error:
        session.rollback()
        return _page(request, session, admin, status=422, error=str(error))
    session.commit()
    return _back(done)


@router.post(f"{PAGE}/program")
async def save_program(request: Request, session: DbSession, admin: AdminUser) -> Response:
    return await _apply(request, session, admin, "program", lambda form: program.save_program(
        session=session, actor_id=admin.id, expiry_days=_number(form, "expiry_days"),
        allow_negative=form.get("allow_negative") == "on"))


@router.post(f"{PAGE}/rules")
async def save_rule(request: Request, session: DbSession, admin: AdminUser) -> Response:
    def change(form: Any) -> None:
        currency = money.currency_code(str(form.get("currency", "")))
        program.set_rule(session=session, actor_id=admin.id, currency=currency, points=_number(form, "points"),
                         spend_minor=money.parse_amount(str(form.get("spend", "")), currency))

    return await _apply(request, session, admin, "rule", change)


@router.post(PAGE + "/rules/{currency}/delete")
async def delete_rule(currency: str, request: Request, session: DbSession, admin: AdminUser) -> Response:
    return await _apply(request, session, admin, "rule_deleted",
                        lambda form: program.delete_rule(session=session, actor_id=admin.id, currency=currency))


@router.post(f"{PAGE}/tiers")
async def save_tier(request: Request, session: DbSession, admin: AdminUser) -> Response:
    def change(form: Any) -> None:
        raw_id = str(form.get("tier_id", "")).strip()
        benefits = str(form.get("benefits", "")).splitlines()[:20]
        program.save_tier(session=session, actor_id=admin.id, tier_id=int(raw_id) if raw_id.isdigit() else None,
                          name=str(form.get("name", ""))[:60], threshold=_number(form, "threshold"),
                          benefits=[line[:200] for line in benefits])

    return await _apply(request, session, admin, "tier", change)


@router.post(PAGE + "/tiers/{tier_id}/delete")
async def delete_tier(tier_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    return await _apply(request, session, admin, "tier_deleted",
                        lambda form: program.delete_tier(session=session, actor_id=admin.id, tier_id=tier_id))
