"""UI text in English, Traditional Chinese and Japanese through Babel's gettext catalogs.

Catalogs live in `hub/web/locale/<locale>/LC_MESSAGES/messages.po`. A compiled `messages.mo` next to
one is used when it is newer; otherwise the `.po` is compiled in memory at first use, so a fresh
checkout needs no build step. `pybabel extract -F hub/web/babel.cfg -k N_ -o hub/web/locale/messages.pot .`
collects new strings (see hub/web/README.md).
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
SUPPORTED = ("en", "zh_Hant", "ja")
LABELS = {"en": "English", "zh_Hant": "繁體中文", "ja": "日本語"}
"""Each language named in itself, for the language picker."""
ALIASES = {"zh_TW": "zh_Hant", "zh_HK": "zh_Hant", "zh_MO": "zh_Hant", "zh_Hant_TW": "zh_Hant",
           "zh_Hant_HK": "zh_Hant", "zh": "zh_Hant", "ja_JP": "ja", "en_US": "en", "en_GB": "en"}


def supported(locale: str | None) -> str:
    """The catalog to use for a stored or requested locale (unknown → English)."""
    if not locale:
        return DEFAULT
    locale = locale.replace("-", "_")
    if locale in SUPPORTED:
        return locale
    return ALIASES.get(locale, DEFAULT)


def from_accept_language(header: str | None) -> str:
    """The best catalog for a browser's Accept-Language header."""
    wanted = []
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            wanted.append(tag)
    choice = negotiate_locale(wanted, [*SUPPORTED, *ALIASES], sep="_")
    return supported(choice)


def html_lang(locale: str) -> str:
    """The BCP 47 tag for `<html lang>` (zh_Hant → zh-Hant)."""
    try:
        return str(Locale.parse(locale)).replace("_", "-")
    except (UnknownLocaleError, ValueError):
        return "en"


@lru_cache(maxsize=len(SUPPORTED))
def translations(locale: str) -> gettext.NullTranslations:
    if locale == DEFAULT:
        return gettext.NullTranslations()
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return Translations(handle, domain="messages")
    if not po.exists():
        return gettext.NullTranslations()
    return Translations(io.BytesIO(compile_po(po)), domain="messages")


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po catalog (fuzzy entries left out, as msgfmt does)."""
    with po.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def gettext_for(locale: str) -> gettext.NullTranslations:
    return translations(supported(locale))


def N_(message: str) -> str:  # noqa: N802 - the conventional name that pybabel extracts
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return message
