"""The events a survey emits, committed with its row (`hub.runtime.events` delivers them after the commit).

- SENT: {survey_id, conversation_id, agent_id, team_id, channel_id, at}: the request was queued for sending.
- ANSWERED: {survey_id, conversation_id, agent_id, team_id, channel_id, rating, comment, at}: emitted when
  the rating is recorded (comment None) and again when the comment follows (the same survey_id, the same
  rating): a consumer keeps the latest per survey, so a comment never counts as a second response.

`at` is an ISO 8601 UTC moment; the agent is the one assigned when the request was sent.
"""

from __future__ import annotations

SENT = "csat.sent"
ANSWERED = "csat.answered"
