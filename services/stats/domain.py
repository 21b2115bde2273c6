"""Figures and their privacy rules, without I/O."""

from collections import Counter
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


def protect(counts: list[int], sizes: list[int], rule: Suppression) -> list[int | None]:
    """Cells of sibling units under one parent, suppressed so that no small count can be had by
    subtracting the shown siblings from the parent.

    Primary suppression hides each small cell; while the hidden cells add up to less than the
    minimum count (one hidden cell is always exactly recoverable), the smallest shown sibling is
    hidden too (complementary suppression). The parent is taken as known even when its own cell
    is withheld: a withheld department can be had by subtracting the other departments from the
    municipality when each of those is the sum of its shown workplaces.
    """
    cells: list[int | None] = [rule.cell(c, s) for c, s in zip(counts, sizes, strict=True)]
    while True:
        hidden = [i for i, cell in enumerate(cells) if cell is None]
        shown = [i for i, cell in enumerate(cells) if cell is not None]
        if not hidden or not shown:
            return cells
        hidden_sum = sum(counts[i] for i in hidden)
        if len(hidden) > 1 and (hidden_sum == 0 or hidden_sum >= rule.min_cell_count):
            return cells
        cells[min(shown, key=lambda i: (counts[i], i))] = None


@dataclass(frozen=True)
class Org:
    """Workplaces with their department, names, and how many work in each."""

    workplace_department: dict[str, str]
    workplace_names: dict[str, str]
    department_names: dict[str, str]
    headcount: dict[str, int]  # per workplace

    def department_headcount(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for workplace_id, department_id in self.workplace_department.items():
            counts[department_id] += self.headcount.get(workplace_id, 0)
        return dict(counts)
