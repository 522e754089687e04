"""CSAT from hub.csat's facts: score = ratings of 4 or 5 ÷ responses; response rate = responses ÷ surveys sent.
The agent (and team, channel) at the time of sending is credited, as the survey recorded them."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from reports import kinds
from reports.helpdesk import labels
from reports.query import DIMENSION, TIME_GROUPS, Key, Range, ratings_each, tally
from reports.schemas import DateRange


class CsatFigures(BaseModel):
    sent: int = 0
    responses: int = 0
    positive: int = Field(0, description="ratings of 4 or 5")
    score: float | None = Field(None, description="positive ÷ responses")
    response_rate: float | None = Field(None, description="responses ÷ sent")
    average: float | None = Field(None, description="mean rating, 1-5")
    ratings: dict[str, int] = Field(default_factory=lambda: {str(n): 0 for n in range(1, 6)})


class CsatPoint(CsatFigures):
    key: str
    label: str | None = None


class CsatReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "range": {"from": "2026-11-01", "to": "2026-11-30", "tz": "Asia/Hong_Kong"},
        "previous": {"sent": 200, "responses": 80, "positive": 70, "score": 0.875, "response_rate": 0.4},
        "totals": {"sent": 240, "responses": 100, "positive": 91, "score": 0.91, "response_rate": 0.4167,
                   "average": 4.5, "ratings": {"1": 2, "2": 3, "3": 4, "4": 21, "5": 70}},
        "series": [{"key": "2026-11-01", "sent": 8, "responses": 3}],
        "rows": [{"key": "3", "label": "Mei", "sent": 90, "responses": 40, "score": 0.95}]}]})

    range: DateRange
    previous: CsatFigures
    totals: CsatFigures
    series: list[CsatPoint]
    rows: list[CsatPoint] = Field(description="per agent, team or channel when group_by is one of them")


def _table(session: Session, q: Range, by: Sequence[str]) -> dict[Key, CsatFigures]:
    sent = tally(session, q, (kinds.CSAT_SENT,), by)
    (ratings,) = ratings_each(session, q, kinds.CSAT_ANSWERED, [by])
    found: dict[Key, CsatFigures] = {}
    for full_key, (count, _) in sent.items():
        found.setdefault(tuple(full_key[1:]), CsatFigures()).sent = count
    for key, counts in ratings.items():
        figures = found.setdefault(key, CsatFigures())
        responses = sum(counts.values())
        figures.responses = responses
        figures.positive = sum(n for rating, n in counts.items() if rating >= 4)
        figures.average = round(sum(rating * n for rating, n in counts.items()) / responses, 2) if responses else None
        figures.ratings = {str(n): counts.get(n, 0) for n in range(1, 6)}
    for figures in found.values():
        figures.score = round(figures.positive / figures.responses, 4) if figures.responses else None
        figures.response_rate = round(figures.responses / figures.sent, 4) if figures.sent else None
    return found


def report(session: Session, q: Range) -> CsatReport:
    rows = _table(session, q, ["group"]) if q.group_by not in TIME_GROUPS and q.group_by in DIMENSION else {}
    names = labels(session, q.group_by, [key[0] for key in rows])
    return CsatReport(
        range=DateRange(from_=q.start, to=q.end, tz=q.tz),
        previous=_table(session, q.previous(), []).get((), CsatFigures()),
        totals=_table(session, q, []).get((), CsatFigures()),
        series=[CsatPoint(key=str(key[0]), **f.model_dump())
                for key, f in sorted(_table(session, q, ["time"]).items())],
        rows=[CsatPoint(key="" if key[0] is None else str(key[0]), label=names.get(key[0]), **f.model_dump())
              for key, f in sorted(rows.items(), key=lambda item: str(item[0]))])
