"""The README lists every setting a service reads, so an operator never has to read code."""

from pathlib import Path

from halsosupport.supervisor import RunSettings
from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from services.stats.settings import StatsSettings
from services.triggers.settings import TriggersSettings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme():
    names = {
        f"HALSOSUPPORT_{field.upper()}"
        for settings in (
            IntakeSettings,
            NotifierSettings,
            StatsSettings,
            TriggersSettings,
            CasesSettings,
            RunSettings,
        )
        for field in settings.model_fields
    }
    missing = sorted(name for name in names if f"`{name}`" not in README)
    assert missing == []


def test_the_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
