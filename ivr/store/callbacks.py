"""The record of callback requests (`callback_requests`): one row per request, rewritten at every change.

The live queue is in Redis; this is its record, for reports and for rebuilding the live queue should Redis
lose it. Each change carries the live request's `version`, and a row is only ever replaced by a newer
version, so writes that arrive out of order (two processes, a retry) leave the newest state.
The methods block: call them from a worker thread in asyncio code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session

from ivr.store.database import Database
from ivr.store.pseudonym import DEFAULT_CALLER_SALT, caller_pseudonym
from ivr.store.tables import CallbackRecord

CallbackStatus = Literal["waiting", "dialling", "done", "failed", "expired", "cancelled"]
CALLBACK_STATUSES: frozenset[str] = frozenset(get_args(CallbackStatus))
ACTIVE_STATUSES: frozenset[str] = frozenset({"waiting", "dialling"})


@dataclass(frozen=True)
class CallbackState:
    """A callback request as it stands at one version."""

    id: uuid.UUID
    tenant: str
    queue: str
    number: str  # E.164; kept in the row only while the request is active
    status: CallbackStatus
    attempts: int
    last_reason: str | None
    requested_at: datetime
    virtual_place: datetime
    next_attempt_at: datetime
    updated_at: datetime
    version: int

    def __post_init__(self) -> None:
        if self.status not in CALLBACK_STATUSES:
            raise ValueError(f"unknown callback status {self.status!r} (known: {sorted(CALLBACK_STATUSES)})")
        for name in ("requested_at", "virtual_place", "next_attempt_at", "updated_at"):
            moment: datetime = getattr(self, name)
            if moment.tzinfo is None:
                raise ValueError(f"callback {name} must carry a timezone, got {moment.isoformat()}")
        if self.attempts < 0 or self.version < 1:
            raise ValueError(f"callback attempts {self.attempts} and version {self.version} out of range")


class CallbackRecords:
    """Writes and reads `callback_requests`. `database` is a URL or a `Database` (then not disposed here)."""

    def __init__(self, database: Database | str, *, caller_salt: str = DEFAULT_CALLER_SALT) -> None:
        self._owned = not isinstance(database, Database)
        self.database = database if isinstance(database, Database) else Database(database)
        self._caller_salt = caller_salt

    def save(self, state: CallbackState) -> bool:
        """Upsert the row; False when the row already shows this version or a newer one."""
        with self.database.engine.begin() as connection:
            written = connection.execute(_upsert_newer(self.database.dialect), self._row(state)).first()
        return written is not None

    def get(self, request_id: uuid.UUID) -> CallbackRecord | None:
        with Session(self.database.engine, expire_on_commit=False) as session:
            return session.get(CallbackRecord, request_id)

    def find(
        self,
        *,
        tenant: str | None = None,
        queue: str | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[CallbackRecord]:
        """Rows in queue order (virtual place, then id), filtered by what is given."""
        query = select(CallbackRecord)
        if tenant is not None:
            query = query.where(CallbackRecord.tenant == tenant)  # type: ignore[arg-type]
        if queue is not None:
            query = query.where(CallbackRecord.queue == queue)  # type: ignore[arg-type]
        if statuses is not None:
            query = query.where(CallbackRecord.status.in_(statuses))  # type: ignore[attr-defined]
        query = query.order_by(CallbackRecord.virtual_place, CallbackRecord.id)  # type: ignore[arg-type]
        with Session(self.database.engine, expire_on_commit=False) as session:
            return list(session.scalars(query))

    def active(self) -> list[CallbackRecord]:
        """Requests that may still be dialled: what it takes to rebuild the live queue."""
        return self.find(statuses=sorted(ACTIVE_STATUSES))

    def close(self) -> None:
        if self._owned:
            self.database.dispose()

    def _row(self, state: CallbackState) -> dict[str, Any]:
        active = state.status in ACTIVE_STATUSES
        return {
            "id": state.id,
            "tenant": state.tenant,
            "queue": state.queue,
            "caller_ref": caller_pseudonym(state.number, self._caller_salt) or "",
            "number": state.number if active else None,
            "status": state.status,
            "attempts": state.attempts,
            "last_reason": state.last_reason,
            "requested_at": state.requested_at,
            "virtual_place": state.virtual_place,
            "next_attempt_at": state.next_attempt_at,
            "updated_at": state.updated_at,
            "ended_at": None if active else state.updated_at,
            "version": state.version,
        }


def _table(model: type[Any] = CallbackRecord) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _upsert_newer(dialect: str) -> Executable:
    table = _table()
    columns = [column.name for column in table.columns if column.name != "id"]
    if dialect == "postgresql":
        pg_insert = postgresql.insert(table)
        return pg_insert.on_conflict_do_update(
            index_elements=["id"],
            set_={name: pg_insert.excluded[name] for name in columns},
            where=table.c.version < pg_insert.excluded.version,
        ).returning(table.c.id)
    if dialect == "sqlite":
        lite_insert = sqlite.insert(table)
        return lite_insert.on_conflict_do_update(
            index_elements=["id"],
            set_={name: lite_insert.excluded[name] for name in columns},
            where=table.c.version < lite_insert.excluded.version,
        ).returning(table.c.id)
    raise ValueError(f"unsupported database dialect {dialect!r}")
