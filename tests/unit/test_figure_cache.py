"""Evaluation answers are kept until a spell with a day in a period they read changes."""

from datetime import date

from services.stats.figure_cache import FigureCache

JAN = (date(2026, 1, 1), date(2026, 1, 31))
FEB = (date(2026, 2, 1), date(2026, 2, 28))


def test_an_answer_is_kept_until_a_spell_in_its_period_changes():
    cache, calls = FigureCache(), []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("jan", [JAN], compute) == 1
    assert cache.get_or_compute("jan", [JAN], compute) == 1  # kept
    cache.spells_changed([(date(2026, 2, 3), date(2026, 2, 5))])  # February only
    assert cache.get_or_compute("jan", [JAN], compute) == 1
    cache.spells_changed([(date(2025, 12, 20), None)])  # an open spell from December
    assert cache.get_or_compute("jan", [JAN], compute) == 2


def test_an_answer_reading_two_periods_goes_when_either_changes():
    cache = FigureCache()
    cache.get_or_compute("cost", [JAN, (date(2025, 1, 1), date(2025, 1, 31))], lambda: "x")
    cache.spells_changed([(date(2025, 1, 31), date(2025, 2, 2))])
    assert len(cache) == 0


def test_an_answer_computed_while_a_change_arrived_is_not_kept():
    cache = FigureCache()

    def compute_while_a_batch_lands():
        cache.spells_changed([(date(2030, 1, 1), None)])  # even one outside the period
        return "maybe stale"

    cache.get_or_compute("jan", [JAN], compute_while_a_batch_lands)
    assert cache.get_or_compute("jan", [JAN], lambda: "fresh") == "fresh"


def test_the_directory_changing_drops_everything_and_the_cache_stays_bounded():
    cache = FigureCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.get_or_compute(key, [FEB], lambda: 1)
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0
