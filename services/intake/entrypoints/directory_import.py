"""POST /v1/directory/import: the HR export in, a report of every problem or of the changes out."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from halsosupport import audit
from halsosupport.audit import Caller
from halsosupport.auth import Role
from halsosupport.web import require_role
from services.intake import domain
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.bootstrap import IntakeRuntime
from services.intake.directory import ImportResult
from services.intake.directory_handlers import import_directory
from services.intake.directory_import import DirectoryRejected, parse_directory
from services.intake.entrypoints.deps import Runtime

router = APIRouter(prefix="/v1")
MAX_BYTES = 50 * 1024 * 1024


async def _files(request: Request) -> dict[str, bytes]:
    """CSV files as multipart form parts, or one JSON document as the body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        files = {}
        for _, value in form.multi_items():  # values() would keep one part per field name
            if hasattr(value, "filename") and hasattr(value, "read"):
                files[value.filename or "upload.csv"] = await value.read()
        return files
    if content_type.startswith("application/json"):
        return {"directory.json": await request.body()}
    raise HTTPException(
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        "send CSV files as multipart/form-data, or one JSON document as application/json",
    )


def rejected_body(error: DirectoryRejected) -> dict[str, object]:
    return {
        "detail": str(error),
        "problems": [
            {"file": p.file, "line": p.line, "field": p.field, "why": p.why} for p in error.problems
        ],
    }


def result_body(result: ImportResult, *, dry_run: bool) -> dict[str, object]:
    return {"dry_run": dry_run, "events_published": 0 if dry_run else result.events_published,
            **result.__dict__}  # fmt: skip


def _import(  # type: ignore[no-untyped-def]
    rt: IntakeRuntime,
    caller: audit.Access,
    files: dict[str, bytes],
    effective_from: date | None,
    dry_run: bool,
):
    today = domain.local_date(rt.clock.now())
    try:
        directory = parse_directory(files, today=today)
    except DirectoryRejected as error:
        return status.HTTP_422_UNPROCESSABLE_CONTENT, rejected_body(error)
    with SqlUnitOfWork(rt.engine) as uow:
        result = import_directory(
            uow=uow, clock=rt.clock, directory=directory,
            effective_from=effective_from or today, registered_by="import-api",
        )  # fmt: skip
        if not dry_run:
            _recorded(uow, rt, caller, dry_run=False)
            uow.commit()
    if dry_run:  # the import's changes are rolled back; the reading of the export is not
        with SqlUnitOfWork(rt.engine) as uow:
            _recorded(uow, rt, caller, dry_run=True)
            uow.commit()
    if not dry_run:
        rt.relay.wake()
    return status.HTTP_200_OK, result_body(result, dry_run=dry_run)


def _recorded(
    uow: SqlUnitOfWork, rt: IntakeRuntime, caller: audit.Access, *, dry_run: bool
) -> None:
    """One row for the whole import: it names everyone, so no employee in particular."""
    action = "import directory (dry run)" if dry_run else "import directory"
    audit.append(uow.session, caller, action=action, employee_ids=[None], at=rt.clock.now())


@router.post("/directory/import", dependencies=[Depends(require_role(Role.ADMIN))])
async def import_export(
    request: Request,
    rt: Runtime,
    caller: Caller,
    effective_from: Annotated[
        date | None, Query(description="when moves and departures take effect; default today")
    ] = None,
    dry_run: Annotated[bool, Query(description="validate and count, change nothing")] = False,
) -> JSONResponse:
    """Import the whole organisation (admin only). A file with any problem is rejected as a
    whole with every problem listed; nothing is half-imported."""
    if int(request.headers.get("content-length") or 0) > MAX_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the export is larger than 50 MB")
    files = await _files(request)
    status_code, body = await run_in_threadpool(_import, rt, caller, files, effective_from, dry_run)
    return JSONResponse(status_code=status_code, content=body)
