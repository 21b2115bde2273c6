"""Event contracts: the exported JSON Schema files match the models; the wire format holds."""

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from schemas import decode, encode
from schemas.envelope import Channel, OrgRef, Source
from schemas.export import SCHEMA_DIR, render_all
from schemas.reports import ReasonVisibility, SickReported


def test_exported_json_schemas_are_up_to_date():
    """Fails when a model changed without `halsosupport export-schemas`."""
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == render_all(), "run `halsosupport export-schemas` and commit the files"


def make_sick(**changes) -> SickReported:
    fields = {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime(2026, 11, 22, 8, tzinfo=UTC),
        "source": Source(channel=Channel.NURSE, registered_by="nurse-7"),
        "employee_id": "e-1",
        "org": OrgRef(workplace_id="w", department_id="d", manager_id="m"),
        "spell_id": "s-1",
        "absence_type": "sick",
        "sick_from": date(2026, 11, 22),
        "degree_percent": 100,
        "reason_visibility": ReasonVisibility.SHARED,
        "reason_category": "injury",
    }
    fields.update(changes)
    return SickReported(**fields)


def test_an_event_survives_the_wire_with_fields_beside_the_envelope():
    event = make_sick()
    wire = json.loads(encode(event))
    assert wire["event_type"] == "SickReported" and wire["sick_from"] == "2026-11-22"
    assert wire["occurred_at"] == "2026-11-22T08:00:00Z"
    assert decode(encode(event)) == event


def test_a_withheld_reason_cannot_be_put_on_the_wire():
    with pytest.raises(ValidationError, match="reason_category must be empty"):
        make_sick(reason_visibility=ReasonVisibility.WITHHELD, reason_category="injury")


def test_an_unknown_event_type_or_naive_timestamp_is_refused():
    with pytest.raises(ValidationError):
        decode(b'{"event_type": "Nonsense"}')
    with pytest.raises(ValidationError):
        make_sick(occurred_at=datetime(2026, 11, 22, 8))


def test_unknown_fields_are_ignored_so_producers_can_add_optional_ones():
    wire = json.loads(encode(make_sick()))
    wire["added_later"] = 1
    assert decode(json.dumps(wire)).spell_id == "s-1"
