"""Search over message text that finds Chinese and Japanese words inside sentences.

The index lives outside the models (alembic/versions/0005_message_search.py): an n-gram GIN index
on PostgreSQL, an FTS5 trigram table on SQLite. `matching_conversations` picks the query that can
use it; shorter queries than the index understands fall back to a scan. `newest_matches` says which
message of each found conversation matched, cut around the hit for the list.
"""

from hub.search.service import (
    INDEX_OBJECTS,
    SNIPPET,
    Match,
    include_object,
    matching_conversations,
    newest_matches,
    normalise,
    snippet,
)

__all__ = ["INDEX_OBJECTS", "SNIPPET", "Match", "include_object", "matching_conversations", "newest_matches",
           "normalise", "snippet"]
