"""Jinja2 templates: the first line of a template is the subject, the rest the body."""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"


class Renderer:
    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,  # a missing field is an error, not a blank in a mail
            keep_trailing_newline=True,
        )

    def render(self, template: str, context: dict[str, Any]) -> tuple[str, str]:
        """(subject, plain-text body)."""
        text = self.environment.get_template(f"{template}.txt.j2").render(**context)
        subject, _, body = text.partition("\n")
        return subject.strip(), body.lstrip("\n")
