"""Privacy's record for the composition root: a contact's export and erasure, and retention."""

from __future__ import annotations

from hub.privacy import retention
from hub.privacy.views import router
from hub.runtime import Module

MODULE = Module(name="privacy", routers=(router,), periodic=(retention.HOURLY,))
