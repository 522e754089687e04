"""The integrations admin page (API keys, webhook endpoints, their delivery log): `templates/`, mounted by
hub's web shell from the outgoing webhooks' module record; `pages.py` serves it."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
