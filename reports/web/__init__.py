"""reports' pages: `templates/`, `static/` and the scripts' strings (`strings.py`), mounted by hub's web shell
from reports' module record; `pages.py` serves the overview and one page per report."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
