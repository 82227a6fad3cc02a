"""Mutation score per module from mutmut's results under ``mutants/`` (run by ``make mutate``).

A mutant is caught when a test fails (killed) or runs past mutmut's time limit (timeout), as
mutmut classifies its exit code; one that no selected test reaches ("no tests") counts as
surviving. Prints a Markdown table.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

#: Columns of the table: mutmut's statuses, the rest counted as "other".
COLUMNS = ("killed", "timeout", "survived", "no tests", "not checked")


def module_counts(meta: Path) -> Counter:
    """Counts of mutmut's statuses of the mutants in one ``.meta`` file (others as "other")."""
    counts: Counter = Counter()
    for code in json.loads(meta.read_text())["exit_code_by_key"].values():
        status = status_by_exit_code[code]
        counts[status if status in COLUMNS else "other"] += 1
    return counts


def main() -> None:
    metas = sorted(Path("mutants/src").rglob("*.py.meta"))
    if not metas:
        raise SystemExit("no mutmut results under mutants/: run `make mutate` first")
    columns = [*COLUMNS, "other"]
    print("| module | mutants | " + " | ".join(columns) + " | score |")
    print("|---" * (len(columns) + 3) + "|")
    for meta in metas:
        counts = module_counts(meta)
        total = sum(counts.values())
        checked = total - counts["not checked"]
        score = (counts["killed"] + counts["timeout"]) / checked if checked else float("nan")
        module = ".".join(meta.relative_to("mutants/src").with_suffix("").with_suffix("").parts)
        cells = " | ".join(str(counts[c]) for c in columns)
        print(f"| {module} | {total} | {cells} | {score:.1%} |")


if __name__ == "__main__":
    main()
