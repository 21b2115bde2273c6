"""The nurse console: one static page that talks to the JSON API with the nurse's bearer token.

The page carries no data and needs no login of its own, so it is served without auth; every
personal fact it shows comes from /v1 with the token the nurse pasted or opened it with.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from halsosupport import web_static
from halsosupport.web_static import CSS, JS

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"

# A fixed list rather than a static mount: nothing under the folder is served by accident, and
# the media types do not depend on the host's mimetypes table (nosniff rejects a wrong one).
ASSETS = {"console.js": JS, "console.css": CSS}

router = APIRouter(include_in_schema=False)
router.include_router(web_static.router)  # base.css and base.js, which the page loads first
web_static.add_page(router, "/console", CONSOLE_DIR / "index.html")


@router.get("/console/{name}")
def asset(name: str) -> FileResponse:
    return web_static.listed_file(CONSOLE_DIR, ASSETS, name)
