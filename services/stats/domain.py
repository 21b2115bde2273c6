"""Figures and their privacy rules, without I/O."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Suppression:
    min_group_size: int
    min_cell_count: int

    def cell(self, count: int, group_size: int) -> int | None:
        """The count, or None when it would describe too few people to publish."""
        if group_size < self.min_group_size or count < self.min_cell_count:
            return None
        return count


@dataclass(frozen=True)
class AbsentCounts:
    sick: int
    vab: int

    @property
    def total(self) -> int:
        return self.sick + self.vab
