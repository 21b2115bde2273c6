"""What every HTTP service shares: bearer authentication, readable 4xx errors, 503 with
Retry-After while the database is away, an access log without personal data, and security
headers."""

import time
from collections.abc import Callable, Iterable
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from halsosupport.auth import InvalidToken, KeysUnavailable, Principal, Role, verify_token
from halsosupport.db import database_unavailable

log = structlog.get_logger("halsosupport.web")

_bearer = HTTPBearer(auto_error=False)

TOKEN_HINT = "send 'Authorization: Bearer <token>'; in development `halsosupport token --role ROLE`"


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller, or 401 saying what is missing."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"missing bearer token: {TOKEN_HINT}",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return verify_token(request.app.state.settings, credentials.credentials)
    except InvalidToken as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"invalid bearer token ({error})",
            headers={"WWW-Authenticate": "Bearer"},
        ) from error
    except KeysUnavailable as error:
        log.error("identity_provider_keys_unavailable", error=str(error))
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="the identity provider's keys cannot be fetched; try again shortly",
        ) from error


def require_role(*roles: Role) -> Callable[..., Principal]:
    """A dependency that admits only the given roles (403 names the roles allowed)."""
    allowed = frozenset(roles)

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role '{principal.role.value}' may not do this; allowed: {names}",
            )
        return principal

    return dependency


def _describe(errors: Iterable[dict[str, Any]]) -> str:
    parts = []
    for error in errors:
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{location}: {error.get('msg')}" if location else str(error.get("msg")))
    return "; ".join(parts)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
        for e in exc.errors()
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": _describe(errors), "errors": errors},
    )


DATABASE_RETRY_AFTER_S = 2


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    """The database away (restarting, unreachable, pool exhausted) is 503 with Retry-After,
    and says the request may be sent again: nothing of it was kept unless its Idempotency-Key
    answer was, which a retry with the same key returns. Any other database error stays a 500."""
    if not database_unavailable(exc):
        raise exc
    log.warning("database_unavailable", error=type(exc).__name__)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        content={
            "detail": "the database is unavailable for a moment; retry the request after "
            "Retry-After seconds, with the same Idempotency-Key",
            "retry": True,
        },
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Personal data in API answers: no browser or proxy may keep a copy.
    "Cache-Control": "no-store",
    # The pages load only their own scripts, styles and the vendored uPlot, and call only their
    # own API: nothing external, nothing inline, no plug-ins, no <base>, never framed.
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}


# What `_validation_error` answers, so the OpenAPI documents the 422 the services really send.
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def _openapi_with_our_errors(app: FastAPI) -> Callable[[], dict[str, Any]]:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def _has_nul(request: Request) -> bool:
    return "\x00" in request.scope["path"] or b"%00" in request.scope["query_string"]


def install_common(app: FastAPI) -> None:
    """Readable validation errors, security headers and an access log that names the route
    template (never the raw path or query, which may hold a personnummer)."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.openapi = _openapi_with_our_errors(app)  # type: ignore[method-assign]

    @app.middleware("http")
    async def access_log(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        if _has_nul(request):
            # No id or search holds one, and PostgreSQL refuses them with a 500.
            response: Response = JSONResponse(
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                content={"detail": "NUL characters are not allowed in the path or query"},
            )
        else:
            response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        hsts_s = getattr(getattr(request.app.state, "settings", None), "hsts_max_age_s", 0)
        if hsts_s:  # only behind https; a browser would otherwise refuse plain http for a year
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={hsts_s}; includeSubDomains"
            )
        route = request.scope.get("route")
        log.info(
            "http_request",
            method=request.method,
            route=getattr(route, "path", "unmatched"),
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response
