"""The lifecycle report's JSON."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from reports.schemas import DateRange


class Cell(StrEnum):
    """A cell of the 3 x 3 matrix: purchase count band - recency band (the segment condition's cell with a
    hyphen for the space: `loyal-sleeping` is `{"lifecycle": ["loyal sleeping"]}`)."""

    new_active = "new-active"
    new_sleeping = "new-sleeping"
    new_lost = "new-lost"
    repeat_active = "repeat-active"
    repeat_sleeping = "repeat-sleeping"
    repeat_lost = "repeat-lost"
    loyal_active = "loyal-active"
    loyal_sleeping = "loyal-sleeping"
    loyal_lost = "loyal-lost"

    @property
    def segment_name(self) -> str:
        return self.value.replace("-", " ")


class CellFigures(BaseModel):
    cell: Cell
    count: int
    share: float = Field(description="of all customers who ever bought (0-1)")


class Matrix(BaseModel):
    customers: int = Field(description="customers with at least one paid order")
    active: int = Field(description="customers in the three active cells")
    active_share: float
    target: float = Field(description="the active share aimed at (HUB_LIFECYCLE_ACTIVE_TARGET, default 0.30)")
    above_target: bool
    cells: list[CellFigures] = Field(description="the nine cells, new/repeat/loyal x active/sleeping/lost")


class Transition(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_cell: Cell | None = Field(alias="from", description="the cell at the start (`since`); null: no purchase yet")
    to_cell: Cell | None = Field(alias="to", description="the cell at the end of the range")
    count: int


class LifecycleReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "range": {"from": "2026-11-01", "to": "2026-11-30", "tz": "Asia/Hong_Kong"},
        "previous": {"customers": 1180, "active": 330, "active_share": 0.2797, "target": 0.3, "above_target": False,
                     "cells": [{"cell": "new-active", "count": 210, "share": 0.178}]},
        "totals": {"customers": 1204, "active": 372, "active_share": 0.309, "target": 0.3, "above_target": True,
                   "cells": [{"cell": "new-active", "count": 220, "share": 0.1827}]},
        "series": [], "rows": [{"cell": "new-active", "count": 220, "share": 0.1827}],
        "since": "2026-11-01",
        "transitions": [{"from": "new-active", "to": "repeat-active", "count": 31},
                        {"from": None, "to": "new-active", "count": 140}],
        "thresholds": {"repeat_from": 2, "loyal_from": 4, "active_days": 30, "sleeping_days": 90}}]})

    range: DateRange
    previous: Matrix = Field(description="the matrix at the start of the range")
    totals: Matrix = Field(description="the matrix at the end of the range (today: the segments' own counts)")
    series: list[dict[str, int]] = Field(default_factory=list, description="unused: always []")
    rows: list[CellFigures] = Field(description="the nine cells again, for tables")
    since: date = Field(description="when the transitions start")
    transitions: list[Transition] = Field(description="customers per (cell at `since`, cell at the end); "
                                                      "the 9 x 9 table plus first-time buyers (from null)")
    thresholds: dict[str, int] = Field(description="the bands in force (catalog's HUB_LIFECYCLE_* settings)")


class SegmentIn(BaseModel):
    name: str | None = Field(None, max_length=200, description="default: \"Lifecycle: <cell> (<date>)\"",
                             examples=["Loyal but sleeping, December"])


class SegmentOut(BaseModel):
    id: int
    name: str
    definition: dict[str, list[str]] = Field(examples=[{"lifecycle": ["loyal sleeping"]}])
    members: int = Field(description="how many customers are in it now")
