"""The crisis team's dashboard and the manager's page: static files that read /v1 with the
bearer token they were opened with.

The files carry no data, so they are served without auth; every figure and every name they
show comes from the JSON API, which checks the token's role (and, for a manager, whose staff).
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from halsosupport import web_static
from halsosupport.web_static import CSS, JS

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"

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
router.include_router(web_static.router)  # base.css and base.js, which both pages load first
web_static.add_page(router, "/dashboard", DASHBOARD_DIR / "index.html")
web_static.add_page(router, "/dashboard/manager", DASHBOARD_DIR / "manager.html")


@router.get("/dashboard/vendor/{name}")
def vendored(name: str) -> FileResponse:
    return web_static.listed_file(DASHBOARD_DIR / "vendor", VENDOR, name)


@router.get("/dashboard/{name}")
def asset(name: str) -> FileResponse:
    return web_static.listed_file(DASHBOARD_DIR, ASSETS, name)
