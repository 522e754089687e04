"""loyalty's part of the web UI: the contact panel's points and tier (`static/js/loyalty_inbox.js`), the loyalty
admin page (`pages.py`, `templates/`) and the scripts' strings (`strings.py`)."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
