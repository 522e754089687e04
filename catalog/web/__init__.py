"""catalog's pages: `templates/`, `static/` and the scripts' strings (`strings.py`), mounted by hub's web shell
from catalog's module record; `pages.py` serves the catalog admin page."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
