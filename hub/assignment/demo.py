"""Assignment settings for the demo: languages per agent, skill-based policies, everyone online.

`hub.demo` calls `load(session)` after creating the agents and teams. Running it again changes
nothing. Conversations already waiting are assigned at once, so the inbox shows the result.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from hub.agents.models import Role, Team, User
from hub.assignment import service
from hub.assignment.models import AgentProfile, AssignmentPolicy, PolicyKind

LANGUAGES = {
    "mei@hub.local": ["zh", "en"],
    "yuki@hub.local": ["ja"],  # Japanese messages go to Yuki
    "sam@hub.local": ["en"],
}


def load(session: Session) -> int:
    """Profiles, a skill policy on every team, demo agents online; the number of conversations assigned."""
    agents = session.exec(select(User).where(col(User.email).in_(sorted(LANGUAGES)),
                                             User.role == Role.agent.value)).all()
    for user in agents:
        assert user.id is not None
        profile = session.get(AgentProfile, user.id) or AgentProfile(user_id=user.id)
        profile.languages = list(LANGUAGES[user.email])
        session.add(profile)
        user.online = True
        session.add(user)
    covered = set(session.exec(select(AssignmentPolicy.team_id).where(col(AssignmentPolicy.team_id).is_not(None))))
    for team_id in session.exec(select(Team.id).order_by(col(Team.id))):
        if team_id not in covered:
            session.add(AssignmentPolicy(team_id=team_id, kind=PolicyKind.skill.value))
    session.flush()
    assigned = 0
    for conversation_id, _ in service.waiting(session=session):
        assigned += service.assign(session=session, conversation_id=conversation_id).status == "assigned"
    return assigned
