"""The audit log: who read or wrote which employee's data, when and from where.

Every service keeps its own `audit_log` table in its own database (its migrations add it, with
triggers that refuse UPDATE and DELETE). Each row carries the hash of the row before it, so an
edited, removed or reordered row breaks the chain; `halsosupport audit verify` walks it.
Rows name the employee by the pseudonymous id only.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlmodel import Field, Session, SQLModel, col, select

from halsosupport.auth import Principal
from halsosupport.web import current_principal

# Not any service's own metadata: each service's Alembic env lists it beside its own.
metadata = sa.MetaData()

GENESIS = "0" * 64
TABLE = "audit_log"


class AuditTable(SQLModel):
    metadata = metadata


class AuditEntry(AuditTable, table=True):
    """One read or write of individual-level data. Never updated, never deleted."""

    __tablename__ = TABLE
    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    subject: str = Field(max_length=128)
    role: str = Field(max_length=32)
    action: str = Field(max_length=64)
    employee_id: str | None = Field(default=None, max_length=64, index=True)
    route: str = Field(max_length=200)
    client: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


@dataclass(frozen=True)
class Access:
    """Who is asking, as what, through which route and from which address."""

    subject: str
    role: str
    route: str
    client: str | None


def access_of(request: Request, principal: Principal) -> Access:
    """The caller of a request; the route template, never the raw path (it may hold a
    personnummer)."""
    route = request.scope.get("route")
    return Access(
        subject=principal.subject,
        role=principal.role.value,
        route=getattr(route, "path", request.url.path),
        client=request.client.host if request.client else None,
    )


def _request_access(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Access:
    return access_of(request, principal)


# A route dependency: the verified caller of this request (the role check stays the route's).
Caller = Annotated[Access, Depends(_request_access)]


# --- the chain ---------------------------------------------------------------------------------


def as_utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; what is stored is always UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    """sha256 over a canonical JSON of the row's fields and the previous row's hash."""
    fields = {
        "at": as_utc(entry.at).isoformat(timespec="microseconds"),
        "subject": entry.subject,
        "role": entry.role,
        "action": entry.action,
        "employee_id": entry.employee_id,
        "route": entry.route,
        "client": entry.client,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """What a walk along the chain found: rows checked and the first broken row, if any."""

    checked: int
    broken_seq: int | None = None
    why: str | None = None
    last_hash: str = GENESIS  # of the last whole row: kept elsewhere, it shows a cut-off tail

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(rows: Iterable[AuditEntry]) -> Verdict:
    """Walk rows in seq order: each must link to the one before and hash to what it says."""
    prev_hash, checked, last_seq = GENESIS, 0, None
    for row in rows:
        seq = row.seq or 0
        if last_seq is not None and seq <= last_seq:
            return Verdict(checked, seq, "out of order", prev_hash)
        if row.prev_hash != prev_hash:
            why = "does not link to the row before (one removed or moved)"
            return Verdict(checked, seq, why, prev_hash)
        if entry_hash(row, row.prev_hash) != row.hash:
            return Verdict(checked, seq, "its fields do not match its hash (edited)", prev_hash)
        prev_hash, checked, last_seq = row.hash, checked + 1, seq
    return Verdict(checked, last_hash=prev_hash)


# --- reading and appending ---------------------------------------------------------------------


def append(
    session: Session,
    access: Access,
    *,
    action: str,
    employee_ids: Sequence[str | None],
    at: datetime,
) -> list[AuditEntry]:
    """Add one row per employee (or one without) to the session's transaction, chained on the
    last row. The caller commits, together with the write the rows record."""
    if not employee_ids:
        return []
    _serialise_appends(session)
    last = session.exec(select(AuditEntry.hash).order_by(col(AuditEntry.seq).desc()).limit(1))
    prev_hash = last.first() or GENESIS
    entries = []
    for employee_id in employee_ids:
        entry = AuditEntry(
            at=as_utc(at),
            subject=access.subject,
            role=access.role,
            action=action,
            employee_id=employee_id,
            route=access.route,
            client=access.client,
            prev_hash=prev_hash,
            hash="",
        )
        entry.hash = prev_hash = entry_hash(entry, prev_hash)
        entries.append(entry)
    session.add_all(entries)
    session.flush()
    return entries


def _serialise_appends(session: Session) -> None:
    """One appender at a time, until commit. SQLite's BEGIN IMMEDIATE (halsosupport.db) already
    holds the write lock; on PostgreSQL a FOR UPDATE on the last row would let a waiting
    appender chain on a row that is no longer last, so lock the table against other writers
    (readers still read)."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(sa.text(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE"))  # type: ignore[call-overload]


def chain(session: Session, *, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every row in seq order, read in batches."""
    after = 0
    while True:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.seq) > after)
            .order_by(col(AuditEntry.seq))
            .limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq or after


def entries_of(
    session: Session, employee_id: str, *, limit: int = 100, before: int | None = None
) -> list[AuditEntry]:
    """One employee's rows, newest first; `before` a seq for the next page."""
    query = select(AuditEntry).where(AuditEntry.employee_id == employee_id)
    if before is not None:
        query = query.where(col(AuditEntry.seq) < before)
    return list(session.exec(query.order_by(col(AuditEntry.seq).desc()).limit(limit)))
