"""The stores' pages: `templates/`, `static/` and the scripts' strings (`strings.py`), mounted by hub's web shell
from the stores' module record."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
