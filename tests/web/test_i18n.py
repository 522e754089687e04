"""The UI's catalogs: complete in Traditional Chinese and Japanese, in step with the code, placeholders kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from hub import composition
from hub.web import i18n
from hub.web.shell import Shell

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "hub" / "web" / "locale"
SHELL = Shell([module.web for module in composition.MODULES if module.web is not None])
"""Every package's pages, as the app mounts them."""


def catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("locale", ["zh_Hant", "ja"])
def test_every_string_is_translated_with_its_placeholders(locale):
    template = {m.id for m in catalog(LOCALE_DIR / "messages.pot") if m.id}
    translated = {m.id: m.string for m in catalog(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po") if m.id}
    assert template - set(translated) == set(), "run pybabel update (see hub/web/README.md)"
    for msgid, msgstr in translated.items():
        assert msgstr, f"{locale}: {msgid!r} has no translation"
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", msgstr)), (locale, msgid)


def test_the_template_holds_every_string_of_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "hub/web/babel.cfg",
                    "-o", str(fresh), "--no-location", "--omit-header", "."], cwd=ROOT, check=True,
                   capture_output=True)
    wanted = {m.id for m in catalog(fresh) if m.id}
    have = {m.id for m in catalog(LOCALE_DIR / "messages.pot") if m.id}
    assert wanted - have == set(), "new UI strings: run pybabel extract and update (see hub/web/README.md)"


def test_the_scripts_ask_only_for_strings_that_exist():
    used = set()
    for folder in SHELL.static:
        for script in folder.rglob("*.js"):
            used |= set(re.findall(r"""\bt\(\s*["']([\w]+)["']""", script.read_text()))
    assert {"cmp_launched", "product_send", "resend"} <= used  # flows', catalog's and hub's scripts
    assert used - set(SHELL.script_strings) == set()


def test_catalogs_load_and_fall_back_to_english():
    assert i18n.gettext_for("ja").gettext("Sign in") == "サインイン"
    assert i18n.gettext_for("zh_Hant").gettext("Resolve") == "標示為已解決"
    assert i18n.gettext_for("fr").gettext("Sign in") == "Sign in"
    assert SHELL.strings("zh_Hant")["tick_read"] == "已讀"
    assert SHELL.strings("ja")["paylink_title"] == "支払いリンクを送信"  # catalog's string, in the shared catalogs
    assert i18n.from_accept_language("zh-HK,zh;q=0.8,en;q=0.5") == "zh_Hant"
    assert i18n.from_accept_language("ja,en-US;q=0.7") == "ja"
    assert i18n.from_accept_language("") == "en"
