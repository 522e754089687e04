"""API keys' record for the composition root."""

from __future__ import annotations

from hub.api_keys.models import ApiKey
from hub.api_keys.views import router
from hub.runtime import Module

MODULE = Module(name="api_keys", models=(ApiKey,), routers=(router,))
