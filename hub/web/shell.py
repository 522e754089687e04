"""Hub's web shell: every package's templates, static files and script strings, mounted once when the app
is built (`hub.api.app.build` keeps it in `app.state.shell`). The shell knows packages only through their
`Web` records, so hub's pages and the pages of flows and catalog render from one Jinja environment, `/static/`
serves all their files, and every page carries every package's strings, as one UI."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.runtime import Web
from hub.web.i18n import gettext_for, supported


class Shell:
    """The mounted parts, in the modules' order (hub's first: its templates win a shared name)."""

    def __init__(self, parts: Sequence[Web]) -> None:
        self.templates = [part.folder / "templates" for part in parts if (part.folder / "templates").is_dir()]
        self.static = [(part.folder / "static").resolve() for part in parts if (part.folder / "static").is_dir()]
        refuse_shared_files(self.static)
        self.styles = [style for part in parts for style in part.styles]
        self.inbox_scripts = [script for part in parts for script in part.inbox_scripts]
        self.composer_templates = [name for part in parts for name in part.composer_templates]
        self.composer_actions = [name for part in parts for name in part.composer_actions]
        self.help_keys = [name for part in parts for name in part.help_keys]
        self.script_strings = merged_strings(parts)
        # Autoescape every template: customer names and messages are shown as text, never as markup.
        self.environment = Environment(loader=FileSystemLoader(self.templates),
                                       autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
        self._translated: dict[str, dict[str, str]] = {}

    def strings(self, locale: str) -> dict[str, str]:
        """Every package's script strings in this language."""
        locale = supported(locale)
        if locale not in self._translated:
            translate = gettext_for(locale).gettext
            self._translated[locale] = {key: translate(text) for key, text in self.script_strings.items()}
        return self._translated[locale]

    def static_file(self, path: str) -> Path | None:
        """The file `/static/{path}` names, in whichever package holds it; None outside the static folders."""
        for folder in self.static:
            target = (folder / path).resolve()
            if target.is_relative_to(folder) and target.is_file():
                return target
        return None


def merged_strings(parts: Sequence[Web]) -> dict[str, str]:
    """The packages' script strings in one table; a key two packages both define is refused at start-up."""
    merged: dict[str, str] = {}
    for part in parts:
        shared = merged.keys() & part.strings.keys()
        if shared:
            raise ValueError(f"script strings defined twice: {sorted(shared)} (again in {part.folder})")
        merged.update(part.strings)
    return merged


def refuse_shared_files(folders: Sequence[Path]) -> None:
    """`/static/` is one namespace: a file name two packages both hold would serve one of them by luck."""
    seen: dict[Path, Path] = {}
    for folder in folders:
        for file in folder.rglob("*"):
            name = file.relative_to(folder)
            if file.is_file() and name in seen:
                raise ValueError(f"/static/{name} is in both {seen[name]} and {folder}")
            seen[name] = folder

