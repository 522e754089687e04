"""Column types shared by the models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

JsonType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
