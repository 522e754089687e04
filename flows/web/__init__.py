"""flows' pages: `templates/`, `static/` and the scripts' strings (`strings.py`), mounted by hub's web shell
from flows' module record; `pages.py` serves the campaigns page."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
