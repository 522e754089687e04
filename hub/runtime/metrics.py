"""Prometheus metrics (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("hub_http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_SECONDS = Histogram("hub_http_request_seconds", "HTTP request latency", ["route"])
WEBHOOK_EVENTS = Counter("hub_webhook_events_total", "Webhook deliveries", ["provider", "outcome"])
FOREIGN_ENTRIES = Counter("hub_webhook_foreign_entries_total",
                          "Webhook parts for another number or account of the same provider app, ignored", ["provider"])
QUEUE_DEPTH = Gauge("hub_queue_depth", "Jobs waiting per queue", ["queue"])
JOB_SECONDS = Histogram("hub_job_seconds", "Job durations", ["job"])
