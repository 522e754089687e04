"""Every table of flows, so that Alembic and the tests see them (`hub.schema.OPTIONAL_MODEL_MODULES`)."""

from flows.campaigns.models import Campaign, Recipient, TrackedLink
from flows.segments.models import Segment

__all__ = ["Campaign", "Recipient", "Segment", "TrackedLink"]
