"""The admin screens for channels, users and teams, canned replies and contacts (admins only).

Server-rendered pages with plain HTML forms: each form carries the session's CSRF token and posts to a
route here, which does what the matching API route does (same services, same audit records), then
redirects back with a notice, or shows the page again with the reason it was refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from channels import ADAPTERS
from hub.agents import admin as staff
from hub.agents.models import Role, User
from hub.agents.service import AccountError, team_ids_of
from hub.api.deps import AdminUser, DbSession
from hub.audit.service import record
from hub.channel_records import service as channels
from hub.channel_records import test_send
from hub.channel_records.models import Channel
from hub.contacts import manage
from hub.contacts.models import Contact
from hub.contacts.views import contact_out
from hub.conversations import canned
from hub.conversations.actions import ActionRefused
from hub.conversations.canned_models import CannedReply
from hub.tags.models import Tag
from hub.web import i18n, render

router = APIRouter(include_in_schema=False)
ROLE_LABELS = {"admin": i18n.N_("Admin"), "agent": i18n.N_("Agent"), "marketer": i18n.N_("Marketer"),
               "store": i18n.N_("Store staff")}
LIST_FIELDS = frozenset({"allowed_origins"})
"""Config keys that hold a list: typed one per line or separated by commas."""


def _notice(request: Request, locale: str) -> str | None:
    _ = i18n.gettext_for(locale).gettext
    notices = {"channel": _("Channel created. Paste its webhook URL into the provider's console."),
               "test": _("Test message queued: it is sent through the channel now; its conversation is in the inbox."),
               "user": _("User saved."), "team": _("Team saved."), "canned": _("Canned reply saved."),
               "deleted": _("Canned reply deleted."), "contact": _("Contact saved."),
               "merged": _("Contacts merged.")}
    return notices.get(request.query_params.get("done", ""))


def _back(path: str, done: str, **query: Any) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'done': done, **query})}", status_code=303)


def _ids(values: list[Any]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


# channels -------------------------------------------------------------------------------------------


def _channels_page(request: Request, session: Session, user: User, *, status: int = 200, error: str | None = None,
                   form_kind: str | None = None) -> Response:
    kind = form_kind or request.query_params.get("kind") or ""
    adapter = ADAPTERS.get(kind)
    fields = ([{"key": key, "secret": key in adapter.secret_keys} for key in
               sorted(adapter.config_keys, key=lambda k: (k in adapter.secret_keys, k != "api_base", k))]
              if adapter else [])
    rows = []
    for channel in channels.list_all(session=session):
        view = channels.public_view(channel)
        ad = channels.adapter_of(channel.kind)
        view["secrets"] = sorted(ad.secret_keys)
        view["testable"] = bool(ad.endpoints)
        view["is_telegram"] = "telegram" in ad.identity_kinds
        rows.append(view)
    return render.page(request, "admin_channels.html", locale=user.locale, status=status, user=user,
                       channels=rows, kinds=sorted(ADAPTERS), kind=kind if adapter else "", fields=fields,
                       teams=staff.teams(session=session), error=error, notice=_notice(request, user.locale),
                       focus=request.query_params.get("channel"), conversation=request.query_params.get("conversation"))


@router.get("/admin/channels")
def channels_page(request: Request, session: DbSession) -> Response:
    """Channels with their webhook URLs, a form to connect one (secrets are write-only) and a test send."""
    user = render.admin(request, session)
    return user if isinstance(user, Response) else _channels_page(request, session, user)


@router.post("/admin/channels")
async def create_channel(request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    kind = str(form.get("kind", ""))
    adapter = ADAPTERS.get(kind)
    config: dict[str, Any] = {}
    for key in adapter.config_keys if adapter else ():
        value = str(form.get(f"config.{key}", "")).strip()
        if value:
            config[key] = ([v.strip() for v in value.replace(",", "\n").splitlines() if v.strip()]
                           if key in LIST_FIELDS else value)
    try:
        channel = channels.create(session=session, kind=kind, name=str(form.get("name", "")).strip()[:200],
                                  config=config, team_ids=_ids(form.getlist("team_ids")))
    except ValueError as error:
        session.rollback()
        return _channels_page(request, session, admin, status=422, error=str(error), form_kind=kind)
    record(session=session, actor_id=admin.id, action="channel.create", target_type="channel",
           target_id=channel.id, details={"kind": channel.kind, "name": channel.name})
    session.commit()
    return _back("/admin/channels", "channel", channel=channel.id)


@router.post("/admin/channels/{channel_id}/test")
async def test_channel(channel_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    channel = session.get(Channel, channel_id)
    _ = i18n.gettext_for(admin.locale).gettext
    if channel is None:
        return render.error_page(request, locale=admin.locale, status=404, title=_("Not found"),
                                 detail=_("This channel does not exist."))
    try:
        message = test_send.send_test(session=session, channel=channel, to=str(form.get("to", ""))[:64],
                                      text=str(form.get("text", ""))[:1000], actor_id=admin.id)
    except test_send.TestRefused as error:
        session.rollback()
        return _channels_page(request, session, admin, status=422, error=str(error))
    record(session=session, actor_id=admin.id, action="channel.test_message", target_type="channel",
           target_id=channel_id, details={"message_id": message.id})
    session.commit()
    return _back("/admin/channels", "test", channel=channel_id, conversation=message.conversation_id)


# users and teams ------------------------------------------------------------------------------------


def _users_page(request: Request, session: Session, user: User, *, status: int = 200,
                error: str | None = None) -> Response:
    users = [{"user": u, "team_ids": team_ids_of(session=session, user_id=u.id or 0)}
             for u in staff.users(session=session)]
    teams = [{"team": t, "member_ids": staff.members_of(session=session, team_id=t.id or 0),
              "channel_ids": staff.channels_of(session=session, team_id=t.id or 0)}
             for t in staff.teams(session=session)]
    return render.page(request, "admin_users.html", locale=user.locale, status=status, user=user, users=users,
                       teams=teams, channels=channels.list_all(session=session), roles=ROLE_LABELS,
                       error=error, notice=_notice(request, user.locale))


@router.get("/admin/users")
def users_page(request: Request, session: DbSession) -> Response:
    """Users with their role and teams; teams with their members and channels."""
    user = render.admin(request, session)
    return user if isinstance(user, Response) else _users_page(request, session, user)


@router.post("/admin/users")
async def add_user(request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    values = {"email": str(form.get("email", ""))[:254], "password": str(form.get("password", ""))[:200],
              "role": str(form.get("role", "agent")), "name": str(form.get("name", ""))[:200],
              "locale": str(form.get("locale", "en")), "team_ids": _ids(form.getlist("team_ids"))}
    try:
        if values["role"] not in Role.__members__:
            raise AccountError("choose a role: admin, agent, marketer or store")
        if len(values["password"]) < 8:
            raise AccountError("the password needs at least 8 characters")
        staff.add_user(session=session, actor=admin, values=values)
        session.commit()
    except AccountError as error:
        session.rollback()
        return _users_page(request, session, admin, status=422, error=str(error))
    return _back("/admin/users", "user")


@router.post("/admin/users/{user_id}")
async def change_user(user_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    values: dict[str, Any] = {"role": str(form.get("role", "")), "team_ids": _ids(form.getlist("team_ids")),
                              "is_active": form.get("is_active") == "on"}
    current = session.get(User, user_id)
    if current is not None:  # only what changed: a new role or deactivation signs the user out everywhere
        values = {k: v for k, v in values.items() if k == "team_ids" or getattr(current, k) != v}
    try:
        staff.change_user(session=session, actor=admin, user_id=user_id, values=values)
        session.commit()
    except (AccountError, staff.NotFound) as error:
        session.rollback()
        return _users_page(request, session, admin, status=422, error=str(error))
    return _back("/admin/users", "user")


def _automation_default(value: object) -> str | None:
    """The team form's "new conversations answered by" choice; absent (an older form): leave it as it is."""
    return str(value)[:10] if value else None


@router.post("/admin/teams")
async def add_team(request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    try:
        staff.add_team(session=session, actor=admin, name=str(form.get("name", ""))[:120],
                       member_ids=_ids(form.getlist("member_ids")), channel_ids=_ids(form.getlist("channel_ids")),
                       automation_default=_automation_default(form.get("automation_default")))
        session.commit()
    except AccountError as error:
        session.rollback()
        return _users_page(request, session, admin, status=422, error=str(error))
    return _back("/admin/users", "team")


@router.post("/admin/teams/{team_id}")
async def change_team(team_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    try:
        staff.change_team(session=session, actor=admin, team_id=team_id, name=str(form.get("name", ""))[:120],
                          member_ids=_ids(form.getlist("member_ids")), channel_ids=_ids(form.getlist("channel_ids")),
                          automation_default=_automation_default(form.get("automation_default")))
        session.commit()
    except (AccountError, staff.NotFound) as error:
        session.rollback()
        return _users_page(request, session, admin, status=422, error=str(error))
    return _back("/admin/users", "team")


# canned replies -------------------------------------------------------------------------------------


def _canned_page(request: Request, session: Session, user: User, *, status: int = 200,
                 error: str | None = None) -> Response:
    teams = staff.teams(session=session)
    names = {t.id: t.name for t in teams}
    replies = [{"reply": r, "team": names.get(r.team_id) if r.team_id else None}
               for r in canned.visible(session=session, user=user)]
    return render.page(request, "admin_canned.html", locale=user.locale, status=status, user=user, replies=replies,
                       teams=teams, error=error, notice=_notice(request, user.locale),
                       team_filter=request.query_params.get("team", ""))


@router.get("/admin/canned-replies")
def canned_page(request: Request, session: DbSession) -> Response:
    """Canned replies per team (or shared with everyone), with their placeholders."""
    user = render.admin(request, session)
    return user if isinstance(user, Response) else _canned_page(request, session, user)


def _team_id(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@router.post("/admin/canned-replies")
async def add_canned(request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    try:
        canned.create(session=session, user=admin, shortcut=str(form.get("shortcut", "")).strip()[:50],
                      text=str(form.get("text", ""))[:canned.MAX_TEXT], title=str(form.get("title", ""))[:200],
                      team_id=_team_id(form.get("team_id")))
        session.commit()
    except ActionRefused as error:
        session.rollback()
        return _canned_page(request, session, admin, status=422, error=str(error))
    return _back("/admin/canned-replies", "canned")


@router.post("/admin/canned-replies/{reply_id}/delete")
def delete_canned(reply_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    reply = session.get(CannedReply, reply_id)
    if reply is not None:
        canned.delete(session=session, user=admin, reply=reply)
        session.commit()
    return _back("/admin/canned-replies", "deleted")


# contacts -------------------------------------------------------------------------------------------


def _contacts_page(request: Request, session: Session, user: User, *, status: int = 200,
                   error: str | None = None) -> Response:
    params = request.query_params
    channel_id = _team_id(params.get("channel"))
    found = manage.search(session=session, q=params.get("q", "")[:200], channel_id=channel_id,
                          tag=params.get("tag", "")[:100], opted_out=params.get("opted_out") == "1", limit=100)
    open_id = _team_id(params.get("open"))
    opened = session.get(Contact, open_id) if open_id else None
    return render.page(request, "admin_contacts.html", locale=user.locale, status=status, user=user,
                       contacts=[contact_out(session, c) for c in found],
                       opened=contact_out(session, opened) if opened and opened.erased_at is None else None,
                       channels=channels.list_all(session=session),
                       tags=list(session.exec(select(Tag.name).order_by(col(Tag.name)))),
                       q=params.get("q", ""), channel_id=channel_id, tag=params.get("tag", ""),
                       opted_out=params.get("opted_out") == "1", locales=manage.LOCALES, error=error,
                       notice=_notice(request, user.locale))


@router.get("/admin/contacts")
def contacts_page(request: Request, session: DbSession) -> Response:
    """Search contacts (name or address; CJK too), filter by channel, tag or opt-out, edit one, merge two."""
    user = render.admin(request, session)
    return user if isinstance(user, Response) else _contacts_page(request, session, user)


@router.post("/admin/contacts/{contact_id}")
async def change_contact(contact_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    contact = session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        return _contacts_page(request, session, admin, status=404, error="no such contact")
    fields: dict[str, Any] = {k: "" for k in contact.custom_fields or {}}  # a field left out of the form is removed
    for key, value in zip(form.getlist("field_key"), form.getlist("field_value"), strict=False):
        if str(key).strip():
            fields[str(key).strip()] = str(value)[:1000]
    try:
        manage.update_contact(session=session, actor_id=admin.id, contact=contact, values={
            "name": str(form.get("name", ""))[:300], "locale": str(form.get("locale", "")),
            "timezone": str(form.get("timezone", ""))[:64], "custom_fields": fields})
        session.commit()
    except manage.ContactRefused as error:
        session.rollback()
        return _contacts_page(request, session, admin, status=422, error=str(error))
    return _back("/admin/contacts", "contact", open=contact_id)


@router.post("/admin/contacts/{contact_id}/merge")
async def merge_contacts(contact_id: int, request: Request, session: DbSession, admin: AdminUser) -> Response:
    form = await request.form()
    survivor, other = session.get(Contact, contact_id), session.get(Contact, _team_id(form.get("other_id")) or 0)
    try:
        if survivor is None or other is None:
            raise manage.ContactRefused("choose the contact to merge into this one")
        manage.merge(session=session, actor_id=admin.id, survivor=survivor, other=other)
        session.commit()
    except manage.ContactRefused as error:
        session.rollback()
        return _contacts_page(request, session, admin, status=422, error=str(error))
    return _back("/admin/contacts", "merged", open=contact_id)



