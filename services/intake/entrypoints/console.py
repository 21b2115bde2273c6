"""The nurse console: one static page that talks to the JSON API with the nurse's bearer token.

The page carries no data and needs no login of its own, so it is served without auth; every
personal fact it shows comes from /v1 with the token the nurse pasted or opened it with.
"""

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, RedirectResponse

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"

# A fixed list rather than a static mount: nothing under the folder is served by accident, and
# the media types do not depend on the host's mimetypes table (nosniff rejects a wrong one).
ASSETS = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}

router = APIRouter(include_in_schema=False)


@router.get("/console")
def page() -> FileResponse:
    return FileResponse(CONSOLE_DIR / "index.html", media_type="text/html; charset=utf-8")


@router.get("/console/")
def page_with_slash() -> RedirectResponse:
    """The page links its files relative to `/console` (so it also works behind a path
    prefix); with a trailing slash those links would miss."""
    return RedirectResponse("../console", status_code=status.HTTP_308_PERMANENT_REDIRECT)


@router.get("/console/{name}")
def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no console file {name!r}")
    return FileResponse(CONSOLE_DIR / name, media_type=media_type)
