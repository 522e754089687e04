"""The web shell mounts each package's templates, static files and script strings as one UI."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import composition
from hub.runtime import Web
from hub.web.pages import FOLDER as HUB_WEB
from hub.web.shell import Shell


def package(root: Path, name: str, files: dict[str, str]) -> Path:
    folder = root / name
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    return folder


def test_a_package_page_extends_hub_base_and_its_files_are_served_beside_hub(tmp_path):
    page = '{% extends "base.html" %}{% block body %}Shop{% endblock %}'
    shop = package(tmp_path, "shop", {"templates/shop.html": page, "static/js/shop.js": "export {};"})
    shell = Shell([Web(folder=HUB_WEB, styles=("hub.css",), strings={"hub_key": "Hub"}),
                   Web(folder=shop, styles=("shop.css",), strings={"shop_key": "Shop"})])
    html = shell.environment.get_template("shop.html").render(_=str, lang="en", styles=shell.styles)
    assert ('<link rel="stylesheet" href="/static/hub.css">\n<link rel="stylesheet" href="/static/shop.css">' in html
            and "Shop</body>" in html)
    assert shell.static_file("js/shop.js") == (shop / "static/js/shop.js").resolve()
    assert shell.static_file("js/inbox.js") == (HUB_WEB / "static/js/inbox.js").resolve()
    assert shell.static_file("../templates/shop.html") is None and shell.static_file("js/none.js") is None
    assert shell.strings("en") == {"hub_key": "Hub", "shop_key": "Shop"}


def test_two_packages_cannot_hold_the_same_file_or_string(tmp_path):
    one = package(tmp_path, "one", {"static/js/same.js": "1"})
    two = package(tmp_path, "two", {"static/js/same.js": "2"})
    with pytest.raises(ValueError, match="same.js"):
        Shell([Web(folder=one), Web(folder=two)])
    with pytest.raises(ValueError, match="twice"):
        Shell([Web(folder=one, strings={"save": "Save"}), Web(folder=tmp_path / "three", strings={"save": "Keep"})])



def test_every_package_mounts_its_own_pages():
    """flows and catalog keep their pages in their own folders; hub's shell mounts them from their records."""
    shell = Shell([module.web for module in composition.MODULES if module.web is not None])
    root = HUB_WEB.parents[1]
    assert shell.static_file("js/campaigns.js") == root / "flows/web/static/js/campaigns.js"
    assert shell.static_file("js/catalog_picker.js") == root / "catalog/web/static/js/catalog_picker.js"
    assert shell.environment.get_template("campaigns.html").filename == str(root / "flows/web/templates/campaigns.html")
    assert shell.static_file("catalog.css") == root / "catalog/web/static/catalog.css"
    assert shell.styles == ["hub.css", "catalog.css", "stores.css", "campaigns.css", "journeys.css", "reports.css"]
    # the product picker, the cart and orders; points and tier; the customer's journey tasks
    assert shell.inbox_scripts == ["js/catalog_inbox.js", "js/loyalty_inbox.js", "js/flows_inbox.js"]
    assert shell.composer_templates == ["_composer_picker.html"]
    assert shell.strings("ja")["cmp_stat_sent"] and shell.strings("zh_Hant")["product_send"]
