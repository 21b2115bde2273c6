"""Running a command for any channel: one transaction, the answer to an Idempotency-Key stored
with the change it made, and the relay woken once the transaction is committed."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.adapters.tables import IdempotentResponse
from services.intake.bootstrap import IntakeRuntime
from services.intake.domain import ReportRejected

StatusOf = Callable[[dict[str, Any]], int]


class IdempotencyKeyReused(ReportRejected):
    """The key was used before for a different request (422)."""


@dataclass(frozen=True)
class Idempotency:
    caller: str
    key: str
    fingerprint: str

    @classmethod
    def of(
        cls, caller: str, key: str | None, what: str, body: dict[str, Any]
    ) -> "Idempotency | None":
        if not key:
            return None
        canonical = json.dumps({"what": what, "body": body}, sort_keys=True, default=str)
        return cls(caller, key[:128], hashlib.sha256(canonical.encode()).hexdigest())


def run_command(
    runtime: IntakeRuntime,
    command: Callable[[SqlUnitOfWork], dict[str, Any]],
    *,
    idempotency: Idempotency | None = None,
    status_code: int | StatusOf = 201,
) -> tuple[int, dict[str, Any]]:
    """Run `command` in a transaction and return (status, body); a repeated Idempotency-Key
    returns the first answer without running anything. `status_code` may depend on the body,
    for a command that sometimes changes nothing (200 rather than 201)."""
    try:
        return _run_once(runtime, command, idempotency, status_code)
    except IntegrityError:
        if idempotency is None:
            raise
        # A concurrent request with the same key committed first: answer as it did.
        with SqlUnitOfWork(runtime.engine) as uow:
            stored = _stored(uow, idempotency)
            if stored is None:
                raise
            return stored


def _run_once(
    runtime: IntakeRuntime,
    command: Callable[[SqlUnitOfWork], dict[str, Any]],
    idempotency: Idempotency | None,
    status_code: int | StatusOf,
) -> tuple[int, dict[str, Any]]:
    with SqlUnitOfWork(runtime.engine) as uow:
        if idempotency is not None and (stored := _stored(uow, idempotency)):
            return stored
        body = command(uow)
        code = status_code(body) if callable(status_code) else status_code
        if idempotency is not None:
            uow.store_response(
                IdempotentResponse(
                    caller=idempotency.caller,
                    key=idempotency.key,
                    request_hash=idempotency.fingerprint,
                    status_code=code,
                    body=body,
                    created_at=runtime.clock.now(),
                )
            )
        uow.commit()
    runtime.relay.wake()
    return code, body


def _stored(uow: SqlUnitOfWork, idempotency: Idempotency) -> tuple[int, dict[str, Any]] | None:
    stored = uow.stored_response(idempotency.caller, idempotency.key)
    if stored is None:
        return None
    if stored.request_hash != idempotency.fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request; use a new key"
        )
    return stored.status_code, stored.body
