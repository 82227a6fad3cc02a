"""Mutation score per module from mutmut's results under ``mutants/`` (run by ``make mutate``).

A mutant is caught when a test fails (killed) or runs past mutmut's time limit (timeout);
one that no selected test reaches ("no tests") counts as surviving. Prints a Markdown table.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

#: mutmut's exit codes (mutmut.stats.status_by_exit_code) grouped into what the score needs.
CAUGHT = {1: "killed", 3: "killed", -24: "timeout", 24: "timeout", 36: "timeout", 152: "timeout"}
UNREACHED = {5, 33}


def module_counts(meta: Path) -> Counter:
    """Counts of killed / timeout / survived / no tests / not checked in one ``.meta`` file."""
    counts: Counter = Counter()
    for code in json.loads(meta.read_text())["exit_code_by_key"].values():
        if code in CAUGHT:
            counts[CAUGHT[code]] += 1
        elif code == 0:
            counts["survived"] += 1
        elif code in UNREACHED:
            counts["no tests"] += 1
        elif code is None:
            counts["not checked"] += 1
        else:
            counts["other"] += 1
    return counts


def main() -> None:
    metas = sorted(Path("mutants/src").rglob("*.py.meta"))
    if not metas:
        raise SystemExit("no mutmut results under mutants/: run `make mutate` first")
    columns = ["killed", "timeout", "survived", "no tests", "not checked", "other"]
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
