"""The audit log's hash chain, on hand-made rows: an edited, a removed and a moved row are found."""

from datetime import UTC, datetime, timedelta

from halsosupport.audit import GENESIS, AuditEntry, entry_hash, verify_chain

T0 = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def _chain(n: int) -> list[AuditEntry]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        row = AuditEntry(
            seq=i,
            at=T0 + timedelta(seconds=i),
            subject="nurse-7",
            role="nurse",
            action="read spells",
            employee_id=f"e-{i}",
            route="/v1/employees/{employee_id}/spells",
            client="10.0.0.1",
            prev_hash=prev,
            hash="",
        )
        row.hash = prev = entry_hash(row, prev)
        rows.append(row)
    return rows


def test_an_untouched_chain_is_whole():
    verdict = verify_chain(_chain(5))
    assert verdict.ok and verdict.checked == 5


def test_an_empty_chain_is_whole():
    assert verify_chain([]).ok


def test_an_edited_row_is_the_first_broken():
    rows = _chain(5)
    rows[2].employee_id = "e-someone-else"
    verdict = verify_chain(rows)
    assert (verdict.ok, verdict.broken_seq, verdict.checked) == (False, 3, 2)
    assert "edited" in (verdict.why or "")


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link():
    rows = _chain(5)
    rows[2].action = "nothing to see"
    rows[2].hash = entry_hash(rows[2], rows[2].prev_hash)
    assert verify_chain(rows).broken_seq == 4


def test_a_removed_row_breaks_the_row_after_it():
    rows = _chain(5)
    del rows[1]
    verdict = verify_chain(rows)
    assert verdict.broken_seq == 3 and "removed" in (verdict.why or "")


def test_a_removed_first_row_is_found():
    assert verify_chain(_chain(3)[1:]).broken_seq == 2


def test_a_reordered_row_is_found():
    rows = _chain(5)
    rows[1].seq, rows[2].seq = rows[2].seq, rows[1].seq  # renumbered: read back in seq order
    rows.sort(key=lambda r: r.seq or 0)
    assert verify_chain(rows).broken_seq == 2


def test_the_time_is_hashed_in_utc_whatever_the_database_hands_back():
    (row,) = _chain(1)
    naive = AuditEntry(**{**row.model_dump(), "at": row.at.replace(tzinfo=None)})
    assert entry_hash(naive, GENESIS) == row.hash
