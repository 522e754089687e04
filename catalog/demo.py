"""Demo products for `make run`: a few things in HKD and JPY with titles in three languages, so a
sandbox customer can be sent a product, add it to a cart and pay on the sandbox checkout."""

from __future__ import annotations

from sqlmodel import Session

from catalog.products import VariantInput, create_product, get_by_handle
from hub.runtime.db import session_scope

PRODUCTS = [
    ("linen-shirt", {"en": "Linen shirt", "zh_Hant": "亞麻襯衫", "ja": "リネンシャツ"},
     {"en": "Breathable linen, relaxed fit.", "zh_Hant": "透氣亞麻，寬鬆剪裁。",
      "ja": "通気性のよいリネン、ゆったりシルエット。"},
     [("LS-BLU-M", {"colour": "Blue", "size": "M"}, 12, {"HKD": 29_600, "JPY": 4_800}),
      ("LS-BLU-L", {"colour": "Blue", "size": "L"}, 1, {"HKD": 29_600, "JPY": 4_800})]),
    ("denim-jacket", {"en": "Denim jacket", "zh_Hant": "牛仔外套", "ja": "デニムジャケット"},
     {"en": "Washed denim with brass buttons.", "zh_Hant": "水洗牛仔布，黃銅鈕扣。", "ja": "ウォッシュ加工のデニム。"},
     [("DJ-IND-M", {"colour": "Indigo", "size": "M"}, 5, {"HKD": 68_000, "JPY": 12_800})]),
    ("canvas-tote", {"en": "Canvas tote", "zh_Hant": "帆布袋", "ja": "キャンバストート"},
     {"en": "Heavy canvas, fits a laptop.", "zh_Hant": "厚帆布，放得落手提電腦。", "ja": "厚手のキャンバス地。"},
     [("CT-NAT", {"colour": "Natural"}, 30, {"HKD": 12_000, "JPY": 2_200})]),
]


def load(session: Session) -> int:
    """The demo products that are missing (running it again adds nothing); how many were added."""
    added = 0
    for handle, title, description, variants in PRODUCTS:
        if get_by_handle(session=session, handle=handle) is not None:
            continue
        create_product(session=session, handle=handle, title=title, description=description, variants=[
            VariantInput(sku=sku, options=options, stock_on_hand=stock, prices=prices)
            for sku, options, stock, prices in variants])
        added += 1
    return added


def announce() -> str | None:
    """Add the missing demo products and say how many (the catalog's demo in its module record)."""
    with session_scope() as session:
        added = load(session)
    return f"{added} demo products added" if added else None
