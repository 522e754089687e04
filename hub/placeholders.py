"""Placeholders in text that staff write (canned replies, campaign messages), filled in a Jinja2 sandbox.

A template may only name values and pass them through a few string filters
(`{{ contact.first_name|default('friend') }}`): no loops, calls, arithmetic, tests or conditions,
so `{{ 'ab' * 50000000 }}` or nested `range` loops cannot eat a worker's memory or time. Rendering
is capped as well (characters and seconds), in case a value itself is huge.
"""

from __future__ import annotations

import time
from typing import Any

from jinja2 import Template, TemplateError, Undefined, nodes
from jinja2.sandbox import SandboxedEnvironment

ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr, nodes.Getitem,
                 nodes.Const, nodes.Filter)
ALLOWED_FILTERS = frozenset({"default", "upper", "lower", "title", "capitalize", "trim"})
MAX_SECONDS = 0.5


def missing_default(value: Any, default_value: Any = "", boolean: bool = True) -> Any:
    """`|default('there')` for people's fields: a missing, null, empty or blank value counts as missing
    (Jinja's own filter keeps "" and None, so a nameless contact got "Hi !")."""
    if isinstance(value, Undefined) or value is None or (isinstance(value, str) and not value.strip()):
        return default_value
    if boolean and not value and not isinstance(value, (int, float)):
        return default_value
    return value


def environment(undefined: type[Undefined]) -> SandboxedEnvironment:
    """The sandbox every staff-written text is filled in: `default` treats empty values as missing."""
    env = SandboxedEnvironment(undefined=undefined, autoescape=False, keep_trailing_newline=True)
    env.filters["default"] = env.filters["d"] = missing_default
    return env


class PlaceholderRefused(ValueError):
    """A template that does not parse or uses more than values and simple filters; the text says why."""


def check(env: SandboxedEnvironment, source: str) -> None:
    """Raise PlaceholderRefused unless `source` parses and uses only values and the simple filters."""
    try:
        tree = env.parse(source)
    except TemplateError as error:
        raise PlaceholderRefused(f"a placeholder is not written right: {error}") from None
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES) or (isinstance(node, nodes.Filter)
                                                   and node.name not in ALLOWED_FILTERS):
            raise PlaceholderRefused("placeholders may only name values, like {{contact.first_name}}, "
                                     "with an optional filter such as |default('…')")


def render(env: SandboxedEnvironment, source: str, context: dict[str, Any], *, max_chars: int,
           max_seconds: float = MAX_SECONDS) -> str:
    """`source` checked (see `check`) and filled in (see `fill`)."""
    check(env, source)
    return fill(env.from_string(source), context, max_chars=max_chars, max_seconds=max_seconds)


def fill(template: Template, context: dict[str, Any], *, max_chars: int, max_seconds: float = MAX_SECONDS) -> str:
    """A template that passed `check`, rendered: at most `max_chars` characters, cut there.

    Raises PlaceholderRefused when rendering takes over `max_seconds`; any other rendering error (the
    sandbox's SecurityError, a filter given a wrong value) propagates."""
    deadline = time.monotonic() + max_seconds
    parts: list[str] = []
    size = 0
    # generate() yields piece by piece, so a cap stops the work instead of trimming a finished string
    for piece in template.generate(context):
        parts.append(piece)
        size += len(piece)
        if size >= max_chars:
            break
        if time.monotonic() > deadline:
            raise PlaceholderRefused("the placeholders took too long to fill in")
    return "".join(parts)[:max_chars]
