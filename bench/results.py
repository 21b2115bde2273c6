"""Where every benchmark leaves its figures: one JSON file per benchmark under bench/results/,
with the machine and the commit they were measured on, so numbers from different runs and
machines can be told apart. `python -m bench` prints them all as one table.

A benchmark calls `record(name, figures, goal=..., goal_met=...)` once, after printing its
figures; the file is replaced on each run (the newest measurement is the one that counts).
"""

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def _git_commit() -> str | None:
    """The commit measured, with `+dirty` when the working tree had changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=RESULTS_DIR.parent, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=RESULTS_DIR.parent, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}+dirty" if dirty else head


def _machine_notes() -> str:
    """What a reader needs to compare machines: CPU model, memory and load when measured."""
    notes = [platform.platform()]
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                notes.append(line.split(":", 1)[1].strip())
                break
        memory_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        notes.append(f"{memory_kb / 1024 / 1024:.1f} GiB memory")
    except (OSError, StopIteration, ValueError):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load is not None:
        notes.append(f"1-min load average {load[0]:.2f} when recorded")
    if os.environ.get("BENCH_MACHINE_NOTES"):
        notes.append(os.environ["BENCH_MACHINE_NOTES"])
    return "; ".join(notes)


def record(
    name: str,
    figures: dict[str, Any],
    *,
    goal: str | None = None,
    goal_met: bool | None = None,
) -> Path:
    """Write bench/results/<name>.json with the figures and where they were measured."""
    RESULTS_DIR.mkdir(exist_ok=True)
    document = {
        "benchmark": name,
        "figures": figures,
        "goal": goal,
        "goal_met": goal_met,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "machine": _machine_notes(),
    }
    path = RESULTS_DIR / f"{name}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    temporary.replace(path)
    print(f"  -> {path.relative_to(RESULTS_DIR.parent.parent)}")
    return path


def load_all(directory: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """Every recorded result, by benchmark name."""
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(results: list[dict[str, Any]]) -> str:
    """One line per figure: benchmark, figure, value, and the goal with whether it was met."""
    rows = [("benchmark", "figure", "value", "goal", "met")]
    for result in results:
        met = result.get("goal_met")
        first = True
        for figure, value in result["figures"].items():
            rows.append(
                (
                    result["benchmark"] if first else "",
                    figure,
                    _value(value),
                    (result.get("goal") or "") if first else "",
                    ("-" if met is None else _value(met)) if first else "",
                )
            )
            first = False
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(
            cell.rjust(widths[i]) if i == 2 else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_table(directory: Path = RESULTS_DIR) -> None:
    """Print every recorded result, with when and on which commit each was measured."""
    results = load_all(directory)
    if not results:
        print(f"no results in {directory}: run `make bench`")
        return
    print(table(results))
    print()
    for result in results:
        print(
            f"{result['benchmark']}: {result['measured_at']}, commit {result['git_commit']}, "
            f"{result['cpu_count']} CPUs, Python {result['python']}"
        )
    if results:
        print(f"machine: {results[-1]['machine']}")
    sys.stdout.flush()
