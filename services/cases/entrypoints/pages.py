"""The case pages: "Mina ärenden", one case with a form per step, and "Uppföljning per månad".
Static files that read and write /v1 with the bearer token they were opened with.

Like the nurse console and the dashboards, the files carry no data and are served without auth;
every case, every note and every figure comes from the API, which checks who is on the case
(services/cases/access.py) and audits each read.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from halsosupport import web_static
from halsosupport.web_static import CSS, JS

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# A fixed list rather than a static mount: nothing under the folder is served by accident, and
# the media types do not depend on the host's mimetypes table (nosniff rejects a wrong one).
ASSETS = {
    "common.js": JS,
    "list.js": JS,
    "case.js": JS,
    "figures.js": JS,
    "cases.css": CSS,
}

router = APIRouter(include_in_schema=False)
router.include_router(web_static.router)  # base.css and base.js, which every page loads first
web_static.add_page(router, "/cases", PAGES_DIR / "index.html")
web_static.add_page(router, "/cases/case", PAGES_DIR / "case.html")
web_static.add_page(router, "/cases/figures", PAGES_DIR / "figures.html")


@router.get("/cases/{name}")
def asset(name: str) -> FileResponse:
    return web_static.listed_file(PAGES_DIR, ASSETS, name)
