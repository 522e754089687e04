"""Who may read which report: admins everything; agents their own figures and their teams' (service, agents,
CSAT, sales); marketers sales, campaigns and the lifecycle matrix."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlmodel import Session

from hub.agents import service as agents
from hub.agents.models import Role, User
from reports.query import Scope


def helpdesk_scope(session: Session, user: User) -> Scope | None:
    """Service, agents and CSAT reports: None (everyone's) for admins, the agent's own and teams' for agents."""
    if user.role == Role.admin:
        return None
    if user.role == Role.agent:
        return Scope(agent_id=user.id or 0, team_ids=tuple(agents.team_ids_of(session=session, user_id=user.id or 0)))
    raise HTTPException(status.HTTP_403_FORBIDDEN,
                        "marketers read the sales, campaigns and lifecycle reports; service figures are for "
                        "agents and admins")


def sales_scope(session: Session, user: User) -> Scope | None:
    """Sales: admins and marketers everyone's; agents what they and their teams sold."""
    if user.role in (Role.admin, Role.marketer):
        return None
    return helpdesk_scope(session, user)


def require_marketing(user: User) -> None:
    """Campaigns and lifecycle: admins and marketers."""
    if user.role not in (Role.admin, Role.marketer):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only marketers and admins read campaigns and lifecycle reports")
