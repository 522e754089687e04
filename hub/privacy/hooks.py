"""What other packages hold about a contact, for the export and the erasure.

`hub` cannot import `catalog` or `flows`; they register a section here from a hook in their module
record (`catalog.module`), which the composition root (`hub.composition`) runs. Each erase hook runs
in the erasure's transaction, before the contact's conversations are deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class Section:
    """One package's part: `export` gives JSON-ready data; `erase` removes or anonymises it."""

    name: str
    export: Callable[[Session, int], Any]
    erase: Callable[[Session, int], None]


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add (or replace, so registering twice is harmless) a package's section."""
    SECTIONS[section.name] = section
