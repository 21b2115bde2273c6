"""Export the JSON Schema of every event to schemas/json/ (run: `halsosupport schemas export`).

The exported files are what non-Python consumers read; a test fails when they are stale.
"""

import json
from pathlib import Path

from schemas.codec import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "json"


def render_all() -> dict[str, str]:
    """File name → JSON Schema text, for every event type."""
    return {
        f"{model.__name__}.schema.json": json.dumps(
            model.model_json_schema(mode="serialization"), indent=2, ensure_ascii=False
        )
        + "\n"
        for model in EVENT_TYPES
    }


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
