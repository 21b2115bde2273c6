"""Turning a message's context into words: Jinja2 templates per language under `templates/`.

Layout: `templates/<language>/<name>.txt.j2` (first line = subject, the rest = plain-text body) and
optionally `<name>.html.j2` beside it (the HTML body; SMS templates have none). Files whose name
starts with `_` are shared layouts and wording, never messages. Missing context is an error
(StrictUndefined): a blank where a date should be is worse than a message that waits.

Wording shared by the text and HTML bodies lives in macros in `_*.j2` files. Those files are not
autoescaped (their output also goes into plain text), and Jinja marks a macro's output safe when
an HTML template calls it: so HTML templates pass macro output through `plain` or `paragraphs`,
which give back an ordinary string that autoescaping then escapes.
"""

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from schemas.reasons import CONFIDENTIAL_SV, REASON_LABELS_SV, WITHHELD_SV

TEMPLATE_DIR = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "sv"

# The domain words a reason in Swedish (it is stored with the message before the recipient's
# language is known); English mail translates the words it knows and shows others as they are.
_REASON_EN_BY_CATEGORY = {
    "respiratory_infection": "Respiratory infection",
    "gastrointestinal": "Stomach and bowel complaints",
    "musculoskeletal": "Musculoskeletal complaints",
    "mental_ill_health": "Mental ill-health",
    "covid_19": "Covid-19",
    "injury": "Injury",
    "other": "Other",
}
REASON_EN = {
    **{
        REASON_LABELS_SV[c]: en for c, en in _REASON_EN_BY_CATEGORY.items() if c in REASON_LABELS_SV
    },
    WITHHELD_SV: "Not disclosed",
    CONFIDENTIAL_SV: "Confidential",
    "Ej angiven": "Not given",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # plain-text body
    html: str | None  # HTML body; None for SMS templates


def _plain(value: Any) -> str:
    """An ordinary str even when given Markup, so autoescaping treats it as untrusted."""
    return str.__str__(value) if isinstance(value, str) else str(value)


def _paragraphs(value: Any) -> list[str]:
    """Prose split on blank lines, each paragraph's whitespace collapsed."""
    blocks = re.split(r"\n\s*\n", _plain(value))
    return [" ".join(block.split()) for block in blocks if block.strip()]


def _prose(value: Any) -> str:
    """Prose for a plain-text mail: one line per paragraph (phones reflow it; hard wraps at 76
    columns look broken on a narrow screen)."""
    return "\n\n".join(_paragraphs(value))


def _short_date(value: Any) -> str:
    """'2026-11-24' as '24/11', the form the line's SMS replies use."""
    day = date.fromisoformat(_plain(value))
    return f"{day.day}/{day.month}"


def _tidy(text: str) -> str:
    """No trailing blanks, at most one empty line in a row, whatever the conditionals left."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


class Renderer:
    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.directory = directory
        self._languages = sorted(
            p.name for p in directory.iterdir() if p.is_dir() and any(p.glob("*.txt.j2"))
        )
        self.environment = Environment(
            loader=FileSystemLoader(directory),
            # `.html.j2` must be named here: select_autoescape matches the end of the file name.
            autoescape=select_autoescape(enabled_extensions=("html.j2", "html")),
            undefined=StrictUndefined,  # a missing field is an error, not a blank in a mail
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters.update(
            plain=_plain,
            paragraphs=_paragraphs,
            prose=_prose,
            short_date=_short_date,
            reason_en=lambda v: REASON_EN.get(_plain(v), _plain(v)),
        )

    def languages(self) -> list[str]:
        return list(self._languages)

    def language(self, requested: str | None) -> str:
        """The language a message is written in: 'en-GB' reads as 'en'; unknown ones as sv."""
        short = (requested or "").strip().lower().replace("_", "-").split("-")[0]
        return short if short in self._languages else DEFAULT_LANGUAGE

    def templates(self) -> list[str]:
        folder = self.directory / DEFAULT_LANGUAGE
        return sorted(
            p.name.removesuffix(".txt.j2")
            for p in folder.glob("*.txt.j2")
            if not p.name.startswith("_")
        )

    def render(
        self, template: str, context: dict[str, Any], language: str = DEFAULT_LANGUAGE
    ) -> Rendered:
        if template.startswith("_") or "/" in template:
            raise TemplateNotFound(template)
        lang = self.language(language)
        text = _tidy(self.environment.get_template(f"{lang}/{template}.txt.j2").render(context))
        first, _, body = text.partition("\n")
        subject = " ".join(first.split())
        try:
            page = self.environment.get_template(f"{lang}/{template}.html.j2")
        except TemplateNotFound:
            html = None
        else:
            html = page.render({**context, "subject": subject, "lang": lang}).strip() + "\n"
        return Rendered(subject=subject, text=body.lstrip("\n"), html=html)
