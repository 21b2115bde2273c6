"""The files every web page shares (base.css, base.js), served by each service that has pages
under the same path, `/static/common/<name>`: the nurse console (intake), the stats pages and
the case pages (cases); and how a page and its files are served.

A page links them relative to its own address (`static/common/base.js` from `/console` or
`/dashboard`, `../static/common/base.js` from `/dashboard/manager`) and loads them before its
own files. Like the pages, they carry no data and are served without auth.
"""

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, RedirectResponse

STATIC_DIR = Path(__file__).resolve().parent
PREFIX = "/static/common"

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
HTML = "text/html; charset=utf-8"

# A fixed list rather than a static mount: nothing under the folder is served by accident (this
# module's own source included), and the media types do not depend on the host's mimetypes
# table (nosniff rejects a wrong one).
ASSETS = {"base.css": CSS, "base.js": JS}

router = APIRouter(include_in_schema=False)


def add_page(router: APIRouter, path: str, html: Path) -> None:
    """Serve `html` at `path`, and redirect `path/` there: the page links its files relative to
    its own address (so it also works behind a path prefix), and with a trailing slash those
    links would miss."""
    back = "../" + path.rsplit("/", 1)[-1]

    def page() -> FileResponse:
        return FileResponse(html, media_type=HTML)

    def page_with_slash() -> RedirectResponse:
        return RedirectResponse(back, status_code=status.HTTP_308_PERMANENT_REDIRECT)

    router.add_api_route(path, page, methods=["GET"])
    router.add_api_route(path + "/", page_with_slash, methods=["GET"])


def listed_file(folder: Path, allowed: dict[str, str], name: str) -> FileResponse:
    """`folder/name` with its listed media type; 404 for a name not in `allowed`."""
    media_type = allowed.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no page file {name!r}")
    return FileResponse(folder / name, media_type=media_type)


@router.get(PREFIX + "/{name}")
def shared_asset(name: str) -> FileResponse:
    return listed_file(STATIC_DIR, ASSETS, name)
