"""What every HTTP service shares: bearer authentication, readable 4xx errors, an access log
without personal data, and security headers."""

import time
from collections.abc import Callable, Iterable
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from halsosupport.auth import InvalidToken, KeysUnavailable, Principal, Role, verify_token

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


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}


def install_common(app: FastAPI) -> None:
    """Readable validation errors, security headers and an access log that names the route
    template (never the raw path or query, which may hold a personnummer)."""
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.middleware("http")
    async def access_log(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        route = request.scope.get("route")
        log.info(
            "http_request",
            method=request.method,
            route=getattr(route, "path", "unmatched"),
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response
