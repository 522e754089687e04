"""The strings the report pages' script shows (reports.js, reports_charts.js, reports_lifecycle.js). Hub's web
shell merges them with every package's strings; the shared catalogs in hub/web/locale translate them."""

from __future__ import annotations

from hub.web.i18n import N_

STRINGS = {
    # Pages and navigation
    "rpt_overview": N_("Overview"), "rpt_service": N_("Service"), "rpt_agents": N_("Agents"),
    "rpt_sales": N_("Sales"), "rpt_campaigns": N_("Campaigns and journeys"), "rpt_lifecycle": N_("Lifecycle"),
    "rpt_csat": N_("Satisfaction"),
    "rpt_loading": N_("Loading…"), "rpt_error": N_("This report could not be loaded: {reason}"),
    "rpt_missing": N_("This report is not available yet."),
    "rpt_no_data": N_("Nothing happened in this period."),
    "rpt_vs_previous": N_("{change} vs previous period ({previous})"),
    "rpt_no_previous": N_("no figure for the previous period"),
    "rpt_open_report": N_("Open the {name} report"),
    "rpt_download_csv": N_("Download CSV"), "rpt_download_csv_rows": N_("Download CSV (one row per conversation)"),
    "rpt_chart_of": N_("Chart: {metric} by {unit}. The table below has the same figures."),
    "rpt_table_of": N_("{metric} by {unit}"),
    "rpt_by_day": N_("day"), "rpt_by_week": N_("week"), "rpt_by_month": N_("month"), "rpt_by_agent": N_("agent"),
    "rpt_by_team": N_("team"), "rpt_by_channel": N_("channel"), "rpt_by_tag": N_("tag"), "rpt_by_cell": N_("cell"),
    "rpt_key": N_("Period"), "rpt_name": N_("Name"),
    "rpt_median": N_("median {value}"), "rpt_p90": N_("90% within {value}"),
    "rpt_business": N_("in business hours: median {value}"),
    "rpt_minutes": N_("{n} min"), "rpt_hours": N_("{n} h"), "rpt_days": N_("{n} d"), "rpt_seconds": N_("{n} s"),
    "rpt_distribution": N_("First response times"),
    "rpt_currency_note": N_("Each currency is counted on its own; amounts are never added across currencies."),
    # Metrics (keys of the API's totals)
    "rpt_m_conversations": N_("Conversations"), "rpt_m_incoming_messages": N_("Incoming messages"),
    "rpt_m_outgoing_messages": N_("Outgoing messages"), "rpt_m_resolved": N_("Resolved"),
    "rpt_m_reopened": N_("Reopened"), "rpt_m_first_response": N_("First response time"),
    "rpt_m_resolution": N_("Resolution time"), "rpt_m_reply": N_("Reply time"),
    "rpt_m_sla_breaches": N_("SLA breaches"), "rpt_m_replies": N_("Replies"),
    "rpt_m_first_responses": N_("First responses"), "rpt_m_csat_responses": N_("Ratings"),
    "rpt_m_csat_score": N_("Satisfaction score"), "rpt_m_sent": N_("Sent"), "rpt_m_responses": N_("Responses"),
    "rpt_m_score": N_("Score"), "rpt_m_response_rate": N_("Response rate"), "rpt_m_orders": N_("Orders"),
    "rpt_m_revenue": N_("Revenue"), "rpt_m_refunds": N_("Refunds"), "rpt_m_delivered": N_("Delivered"),
    "rpt_m_read": N_("Read"), "rpt_m_clicked": N_("Clicked"), "rpt_m_replied": N_("Replied"),
    "rpt_m_bought": N_("Bought"), "rpt_m_failed": N_("Failed"), "rpt_m_customers": N_("Customers"),
    "rpt_m_share": N_("Share"), "rpt_m_active_share": N_("Active customers"), "rpt_m_target": N_("Target"),
    "rpt_m_handoffs": N_("Bot handoffs"), "rpt_m_bot_contained": N_("Handled by the bot"),
    "rpt_m_average": N_("Average rating"),
    # Filters
    "rpt_from": N_("From"), "rpt_to": N_("To"), "rpt_group_by": N_("Group by"), "rpt_channel": N_("Channel"),
    "rpt_team": N_("Team"), "rpt_all": N_("All"), "rpt_apply": N_("Show"), "rpt_last_7": N_("Last 7 days"),
    "rpt_last_30": N_("Last 30 days"), "rpt_last_90": N_("Last 90 days"),
    # The lifecycle matrix
    "rpt_lc_title": N_("Customers by purchases and time since the last one"),
    "rpt_lc_count_new": N_("1 purchase"), "rpt_lc_count_repeat": N_("Repeat"), "rpt_lc_count_loyal": N_("Loyal"),
    "rpt_lc_recency_active": N_("Recently active"), "rpt_lc_recency_sleeping": N_("Sleeping"),
    "rpt_lc_recency_lost": N_("Lost"),
    "rpt_lc_cell": N_("{count} × {recency}"),
    "rpt_lc_cell_label": N_("{cell}: {customers} customers, {share} of all. Open to act on them."),
    "rpt_lc_active": N_("Active customers: {share} (target {target})"),
    "rpt_lc_above": N_("Above target"), "rpt_lc_below": N_("Below target"),
    "rpt_lc_members": N_("Some of its customers"), "rpt_lc_no_members": N_("No customer is in this cell."),
    "rpt_lc_more": N_("and {count} more"),
    "rpt_lc_segment_name": N_("Segment name"),
    "rpt_lc_save": N_("Save as segment"), "rpt_lc_saved": N_("Saved as the segment “{name}”."),
    "rpt_lc_campaign": N_("Send a campaign"), "rpt_lc_journey": N_("Start a journey"),
    "rpt_lc_close": N_("Close"), "rpt_lc_default_name": N_("Lifecycle: {cell} ({date})"),
    "rpt_lc_transitions": N_("How customers moved between cells"),
    "rpt_lc_from_to": N_("From ↓ / to →"),
}
