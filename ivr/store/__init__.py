"""The store: survey tables (SQLModel), migrations (Alembic), the non-blocking writer and the read side.

- `SurveyStore` (writer.py): what the call path uses; never waits on the database, loses nothing.
- `ResultsRepository` (results.py): responses, exports and per question statistics.
- `upgrade` / `current_revision` (migrations/): the schema, from the package itself.
"""

from ivr.store.database import Database, DatabaseUrlError, normalize_database_url
from ivr.store.migrations import current_revision, head_revision, upgrade
from ivr.store.records import ResponseRecord
from ivr.store.results import ResultsRepository
from ivr.store.stats import DialogStats, QuestionStats
from ivr.store.tables import Call, Comment, SurveyAnswer, SurveyResponse
from ivr.store.writer import StoreClosedError, SurveyStore, WriterStats

__all__ = [
    "Call",
    "Comment",
    "Database",
    "DatabaseUrlError",
    "DialogStats",
    "QuestionStats",
    "ResponseRecord",
    "ResultsRepository",
    "StoreClosedError",
    "SurveyAnswer",
    "SurveyResponse",
    "SurveyStore",
    "WriterStats",
    "current_revision",
    "head_revision",
    "normalize_database_url",
    "upgrade",
]
