"""Survey settings (admins): per channel or per team, whether to ask after a resolution, after how long, how
long a rating is taken, and the WhatsApp template to ask with outside the 24-hour window."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from hub.agents.models import Team
from hub.api.deps import AdminUser, DbSession
from hub.channel_records.models import Channel
from hub.csat.models import CsatSetting
from hub.runtime.db import utcnow

router = APIRouter(prefix="/api/v1/csat", tags=["csat"])

Scope = Literal["team", "channel"]


class SettingIn(BaseModel):
    enabled: bool = True
    delay_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60, description="after the resolution")
    answer_hours: int = Field(default=24, ge=1, le=7 * 24, description="how long a rating is taken")
    template_name: str | None = Field(default=None, max_length=200,
                                      description="WhatsApp template asking outside the 24-hour window")
    template_language: str | None = Field(default=None, max_length=20, description="e.g. zh_HK; default: "
                                          "the customer's language")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"enabled": True, "delay_minutes": 10, "answer_hours": 24, "template_name": "csat_request",
         "template_language": None}]})


class SettingOut(SettingIn):
    scope: Scope
    scope_id: int
    updated_at: datetime


def _out(setting: CsatSetting) -> SettingOut:
    scope: Scope = "team" if setting.team_id is not None else "channel"
    return SettingOut(scope=scope, scope_id=setting.team_id or setting.channel_id or 0, enabled=setting.enabled,
                      delay_minutes=setting.delay_minutes, answer_hours=setting.answer_hours,
                      template_name=setting.template_name, template_language=setting.template_language,
                      updated_at=setting.updated_at)


@router.get("/settings", response_model=list[SettingOut], summary="Every team's and channel's survey setting")
def list_settings(session: DbSession, user: AdminUser) -> list[SettingOut]:
    rows = session.exec(select(CsatSetting).order_by(col(CsatSetting.id)))
    return [_out(setting) for setting in rows]


@router.put("/settings/{scope}/{scope_id}", response_model=SettingOut,
            summary="Set when a team's or a channel's conversations are asked for a rating",
            responses={404: {"description": "no such team or channel"}})
def put_setting(scope: Scope, scope_id: Annotated[int, Path(ge=1)], body: SettingIn, session: DbSession,
                user: AdminUser) -> SettingOut:
    if session.get(Team if scope == "team" else Channel, scope_id) is None:
        raise HTTPException(404, f"no such {scope}")
    column = CsatSetting.team_id if scope == "team" else CsatSetting.channel_id
    setting = session.exec(select(CsatSetting).where(column == scope_id)).first()
    if setting is None:
        setting = CsatSetting(team_id=scope_id) if scope == "team" else CsatSetting(channel_id=scope_id)
    for name, value in body.model_dump().items():
        setattr(setting, name, value)
    setting.updated_at = utcnow()
    session.add(setting)
    session.commit()
    session.refresh(setting)
    return _out(setting)


@router.delete("/settings/{scope}/{scope_id}", status_code=204, response_class=Response,
               summary="Forget a setting (a channel falls back to its team's)")
def delete_setting(scope: Scope, scope_id: Annotated[int, Path(ge=1)], session: DbSession, user: AdminUser) -> None:
    column = CsatSetting.team_id if scope == "team" else CsatSetting.channel_id
    setting = session.exec(select(CsatSetting).where(column == scope_id)).first()
    if setting is not None:
        session.delete(setting)
        session.commit()
