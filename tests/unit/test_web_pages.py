"""The nurse console, the stats pages and the case pages share one base
(halsosupport/web_static/): each page loads it before its own files, every service with pages
serves it at the same path, and what it holds is written there only, not again in a page's own
files."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from halsosupport import web_static
from services.cases.entrypoints import pages as case_pages
from services.intake.entrypoints import console
from services.stats.entrypoints import dashboard

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILES = {
    "console": [ROOT / "services/intake/console" / n for n in ("console.css", "console.js")],
    "stats": [
        ROOT / "services/stats/dashboard" / n
        for n in ("dashboard.css", "common.js", "dashboard.js", "manager.js")
    ],
    "cases": [
        ROOT / "services/cases/pages" / n
        for n in ("cases.css", "common.js", "list.js", "case.js", "figures.js")
    ],
}
# (router, the page's address, its HTML)
PAGES = [
    (console.router, "/console", ROOT / "services/intake/console/index.html"),
    (dashboard.router, "/dashboard", ROOT / "services/stats/dashboard/index.html"),
    (dashboard.router, "/dashboard/manager", ROOT / "services/stats/dashboard/manager.html"),
    (case_pages.router, "/cases", ROOT / "services/cases/pages/index.html"),
    (case_pages.router, "/cases/case", ROOT / "services/cases/pages/case.html"),
    (case_pages.router, "/cases/figures", ROOT / "services/cases/pages/figures.html"),
]


class _Links(HTMLParser):
    """The style sheets and scripts of a page, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "stylesheet":
            self.files.append(found["href"] or "")
        elif tag == "script" and found.get("src"):
            self.files.append(found["src"] or "")


def _files_of(page: str, html: Path) -> list[str]:
    """The paths the browser asks for, resolved against the page's address."""
    parser = _Links()
    parser.feed(html.read_text(encoding="utf-8"))
    return [urlsplit(urljoin(f"http://host{page}", f)).path for f in parser.files]


def _client(router: APIRouter) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


@pytest.mark.parametrize(("router", "page", "html"), PAGES, ids=[p[1] for p in PAGES])
def test_each_page_loads_the_shared_base_before_its_own_files(router, page, html):
    files = _files_of(page, html)
    own = [f for f in files if "/vendor/" not in f and not f.startswith("/static/common/")]
    for kind in ("css", "js"):
        base = files.index(f"/static/common/base.{kind}")
        assert all(base < files.index(f) for f in own if f.endswith(f".{kind}")), files
    with _client(router) as client:
        for path in files:
            response = client.get(path)
            assert response.status_code == 200, path
            expected = "text/css" if path.endswith(".css") else "text/javascript"
            assert response.headers["content-type"].startswith(expected), path


def test_every_service_with_pages_serves_the_same_shared_files_and_nothing_else_there():
    with (
        _client(console.router) as intake,
        _client(dashboard.router) as stats,
        _client(case_pages.router) as cases,
    ):
        for name in web_static.ASSETS:
            path = f"/static/common/{name}"
            assert (
                intake.get(path).content
                == stats.get(path).content
                == cases.get(path).content
                == (web_static.STATIC_DIR / name).read_bytes()
            )
        for name in ["__init__.py", "base.min.js", "..%2Fweb.py"]:
            assert intake.get(f"/static/common/{name}").status_code == 404, name


# What the base holds and no page file may write again (it did once, in both front-ends).
SHARED_JS = [
    r"function el\(",
    r"function say\(",
    r"class ApiError",
    r"function detailOf\(",
    r"Authorization: `Bearer",
    r"location\.hash",
    r"sessionStorage\.",
    r"new Intl\.DateTimeFormat\(\"sv-SE\", \{\s*timeZone: TIME_ZONE",
    r"Klistra in en inloggningsnyckel först",
]
SHARED_CSS = [
    r"^:root",
    r"^\.skip-link",
    r"^\.topbar \{",
    r"^\.card \{",
    r"^\.message \{",
    r"^button \{",
]


@pytest.mark.parametrize("front_end", sorted(PAGE_FILES))
def test_what_the_base_holds_is_written_there_only(front_end):
    base = {
        ".js": (web_static.STATIC_DIR / "base.js").read_text(encoding="utf-8"),
        ".css": (web_static.STATIC_DIR / "base.css").read_text(encoding="utf-8"),
    }
    for path in PAGE_FILES[front_end]:
        text = path.read_text(encoding="utf-8")
        for pattern in SHARED_JS if path.suffix == ".js" else SHARED_CSS:
            assert re.search(pattern, base[path.suffix], re.MULTILINE), pattern
            assert not re.search(pattern, text, re.MULTILINE), f"{path.name}: {pattern}"
