"""GET /api/v1/reports/...: the service, agents, sales, campaigns, lifecycle and CSAT reports.

Routes read the query (dates in a time zone, a grouping, filters), check who may read what (`reports.access`)
and hand over to the report's module; the numbers are computed there.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from flows.segments import service as segments
from hub.api.deps import CurrentUser, DbSession, MarketerUser, ReadSession
from hub.assignment.hours import InvalidHours, zone
from reports import access, campaigns, csat, helpdesk, lifecycle, sales
from reports.csat import CsatReport
from reports.csv_export import sales_csv, service_csv
from reports.query import GroupBy, Range
from reports.schemas import AgentsReport, ServiceReport
from reports.schemas_lifecycle import Cell, LifecycleReport, SegmentIn, SegmentOut
from reports.schemas_sales import CampaignsReport, SalesReport
from reports.settings import get_report_settings

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
MAX_DAYS = 731
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class Format(StrEnum):
    json = "json"
    csv = "csv"


def report_range(
    start: Annotated[date | None, Query(alias="from", description="first day (default: 29 days before `to`)",
                                        examples=["2026-11-01"])] = None,
    end: Annotated[date | None, Query(alias="to", description="last day, included (default: today in `tz`)",
                                      examples=["2026-11-30"])] = None,
    tz: Annotated[str | None, Query(description="IANA time zone the days are counted in (default: the shop's, "
                                                "HUB_SHOP_TIMEZONE)", examples=["Asia/Tokyo"])] = None,
    group_by: Annotated[GroupBy, Query(description="series by day/week/month, or rows by agent/team/channel/tag "
                                                     "(sales: also campaign/flow/store)")
                        ] = GroupBy.day,
    channel_id: int | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    tag: Annotated[str | None, Query(max_length=100, description="only conversations with this tag")] = None,
    since: Annotated[date | None, Query(description="lifecycle only: transitions from this day (default: `from`)")
                     ] = None,
) -> Range:
    name = tz or get_report_settings().timezone
    try:
        here = zone(name)
    except InvalidHours as error:
        raise HTTPException(422, str(error)) from None
    end = end or datetime.now(here).date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise HTTPException(422, "`from` must be on or before `to`")
    if start < EARLIEST or end > LATEST or (since is not None and not EARLIEST <= since <= LATEST):
        raise HTTPException(422,
                            f"dates must be between {EARLIEST} and {LATEST}")
    if (end - start).days >= MAX_DAYS:
        raise HTTPException(422, f"a report covers at most {MAX_DAYS} days")
    return Range(start=start, end=end, tz=name, group_by=group_by, channel_id=channel_id, team_id=team_id,
                 agent_id=agent_id, tag=tag, extra={"since": since} if since else {})


ReportRange = Annotated[Range, Depends(report_range)]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"example": "conversation_id,opened_at,contact,...\r\n"}},
          "description": "JSON, or with format=csv a spreadsheet"}}


SALES_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"example": "order_id,event,at,currency,amount,...,store\r\n"}},
          "description": "JSON, or with format=csv a spreadsheet"}}


def _csv(chunks: object, name: str) -> StreamingResponse:
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8",  # type: ignore[arg-type]
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/service", response_model=ServiceReport, responses=CSV_RESPONSE,
            summary="Service report: volumes, first response, resolution and reply times, SLA breaches")
def service_report(session: ReadSession, user: CurrentUser, q: ReportRange,
                   format: Format = Format.json) -> ServiceReport | StreamingResponse:
    """Conversations, incoming and outgoing messages, first response / resolution / reply time (median and
    p90, wall-clock and business hours), SLA breaches and the first-response distribution, with the previous
    period's totals. `format=csv`: one row per conversation opened in the range. Agents see their own
    figures and their teams'; marketers are refused."""
    scoped = Range(**{**q.__dict__, "scope": access.helpdesk_scope(session, user)})
    if format == Format.csv:
        return _csv(service_csv(session, scoped), f"service-{q.start}-{q.end}.csv")
    return helpdesk.service(session, scoped)


@router.get("/agents", response_model=AgentsReport,
            summary="Agents report: replies, resolutions, times, CSAT per agent")
def agents_report(session: ReadSession, user: CurrentUser, q: ReportRange) -> AgentsReport:
    """One row per agent (replies, first responses, resolved, outgoing messages, their times and CSAT) and the
    totals per day / week / month. Agents see themselves and their teams' colleagues."""
    scoped = Range(**{**q.__dict__, "scope": access.helpdesk_scope(session, user)})
    return helpdesk.agents(session, scoped)


@router.get("/lifecycle", response_model=LifecycleReport, response_model_by_alias=True,
            summary="Lifecycle matrix: customers per purchase count x recency, active share, transitions")
def lifecycle_report(session: ReadSession, user: CurrentUser, q: ReportRange) -> LifecycleReport:
    """The 3 x 3 matrix at the end of the range (today: exactly the lifecycle segments' counts) and at its
    start, the active share against the target, and how customers moved between cells since `since`.
    Admins and marketers."""
    access.require_marketing(user)
    return lifecycle.report(session, start=q.start, end=q.end, tz=q.tz, since=q.extra.get("since"))


@router.post("/lifecycle/cells/{cell}/segment", response_model=SegmentOut, status_code=201,
             summary="Save a lifecycle cell as a segment (to send a campaign or start a journey)")
def lifecycle_segment(cell: Cell, session: DbSession, user: MarketerUser, body: SegmentIn | None = None
                      ) -> SegmentOut:
    """A segment `{"lifecycle": [cell]}` through flows' segment service; 409 when the name is taken."""
    definition = {"lifecycle": [cell.segment_name]}
    name = (body.name if body and body.name else None) or f"Lifecycle: {cell.segment_name} ({date.today()})"
    try:
        segment = segments.create(session=session, name=name, definition=definition, created_by=user.id)
    except segments.Conflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except segments.SegmentError as error:
        raise HTTPException(422, str(error)) from None
    members = segments.count(session, segment)
    session.commit()
    return SegmentOut(id=segment.id or 0, name=segment.name, definition=definition, members=members)


@router.get("/sales", response_model=SalesReport, responses=SALES_CSV_RESPONSE,
            summary="Sales: orders, revenue and refunds per currency, over time and by "
                    "channel/agent/campaign/flow/store")
def sales_report(session: ReadSession, user: CurrentUser, q: ReportRange,
                 format: Format = Format.json) -> SalesReport | StreamingResponse:
    """Orders paid and refunded in the range, per currency (never summed across currencies), with the previous
    period; `group_by=agent|team|channel|campaign|flow|store` for rows (by store: each store's till sales,
    labelled with its name, and key "" for the orders made online). `format=csv`: one row per order paid or
    refunded in the range (order_id, event, at, currency, amount, channel, agent, campaign_id, flow_id, store;
    store empty for online orders). Admins and marketers see every sale; agents theirs and their teams'."""
    scoped = Range(**{**q.__dict__, "scope": access.sales_scope(session, user)})
    if format == Format.csv:
        return _csv(sales_csv(session, scoped), f"sales-{q.start}-{q.end}.csv")
    return sales.report(session, scoped)


@router.get("/campaigns", response_model=CampaignsReport,
            summary="Campaigns side by side: funnel sent → bought, revenue per currency, A/B significance")
def campaigns_report(session: ReadSession, user: CurrentUser, q: ReportRange,
                     campaign_id: Annotated[list[int] | None, Query(description="these campaigns (repeat the "
                                                                                "parameter); default: those "
                                                                                "launched in the range")] = None
                     ) -> CampaignsReport:
    """Each campaign's funnel (sent, delivered, read, clicked, replied, bought) with rates of the recipients not
    skipped, its revenue per currency, and its A/B variants compared (two-proportion z-test). Admins and
    marketers."""
    access.require_marketing(user)
    return campaigns.report(session, q, campaign_id or [])


@router.get("/csat", response_model=CsatReport,
            summary="CSAT: score (4-5 ÷ responses) and response rate (responses ÷ sent) by agent/team/channel")
def csat_report(session: ReadSession, user: CurrentUser, q: ReportRange) -> CsatReport:
    """Surveys sent and answered in the range, credited to the agent, team and channel at the time of sending.
    Agents see their own figures and their teams'; marketers are refused."""
    return csat.report(session, Range(**{**q.__dict__, "scope": access.helpdesk_scope(session, user)}))
