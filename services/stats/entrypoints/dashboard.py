"""The crisis team's dashboard and the manager's page: static files that read /v1 with the
bearer token they were opened with.

The files carry no data, so they are served without auth; every figure and every name they
show comes from the JSON API, which checks the token's role (and, for a manager, whose staff).
"""

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, RedirectResponse

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
HTML = "text/html; charset=utf-8"

# A fixed list rather than a static mount: nothing under the folder is served by accident, and
# the media types do not depend on the host's mimetypes table (nosniff rejects a wrong one).
ASSETS = {
    "common.js": JS,
    "dashboard.js": JS,
    "manager.js": JS,
    "dashboard.css": CSS,
}
VENDOR = {
    "uPlot.iife.min.js": JS,
    "uPlot.min.css": CSS,
}

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def crisis_page() -> FileResponse:
    return FileResponse(DASHBOARD_DIR / "index.html", media_type=HTML)


@router.get("/dashboard/")
def crisis_page_with_slash() -> RedirectResponse:
    """The page links its files relative to `/dashboard` (so it also works behind a path
    prefix); with a trailing slash those links would miss."""
    return RedirectResponse("../dashboard", status_code=status.HTTP_308_PERMANENT_REDIRECT)


@router.get("/dashboard/manager")
def manager_page() -> FileResponse:
    return FileResponse(DASHBOARD_DIR / "manager.html", media_type=HTML)


@router.get("/dashboard/manager/")
def manager_page_with_slash() -> RedirectResponse:
    """As for the crisis page: its links are relative to `/dashboard/manager`."""
    return RedirectResponse("../manager", status_code=status.HTTP_308_PERMANENT_REDIRECT)


@router.get("/dashboard/vendor/{name}")
def vendored(name: str) -> FileResponse:
    return _file(VENDOR, "vendor", name)


@router.get("/dashboard/{name}")
def asset(name: str) -> FileResponse:
    return _file(ASSETS, ".", name)


def _file(allowed: dict[str, str], folder: str, name: str) -> FileResponse:
    media_type = allowed.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dashboard file {name!r}")
    return FileResponse(DASHBOARD_DIR / folder / name, media_type=media_type)
