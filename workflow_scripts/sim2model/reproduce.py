"""Rerun every study's data products from a clean ``results/`` and compare their manifests.

Usage: ``python -m sim2model.reproduce [--cores N] [--configfile FILE ...]`` from the workflow
directory (``make reproduce`` does this). The current ``results/`` is kept, renamed to
``results.previous-<time>/``; nothing is deleted. Exit status 1 when any file differs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path


def read_manifest(path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from a ``sha256sum``-style manifest."""
    entries = {}
    for line in path.read_text().splitlines():
        digest, name = line.split("  ", 1)
        entries[name] = digest
    return entries


def compare_manifests(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable differences between two manifests (empty when identical)."""
    problems = [f"missing after rerun: {n}" for n in sorted(before.keys() - after.keys())]
    problems += [f"new after rerun: {n}" for n in sorted(after.keys() - before.keys())]
    problems += [
        f"differs: {n} ({before[n][:12]} -> {after[n][:12]})"
        for n in sorted(before.keys() & after.keys())
        if before[n] != after[n]
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cores", default="all", help="passed to snakemake (default: all)")
    parser.add_argument("--configfile", nargs="*", default=[], help="config files of the run")
    parser.add_argument("--results", type=Path, default=Path("results"), help="results folder")
    args = parser.parse_args(argv)

    manifests = sorted(args.results.glob("*/MANIFEST.sha256"))
    if not manifests:
        parser.error(f"no {args.results}/<study>/MANIFEST.sha256: run the pipeline first")
    before = {m.parent.name: read_manifest(m) for m in manifests}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    previous = args.results.with_name(f"{args.results.name}.previous-{stamp}")
    args.results.rename(previous)
    print(f"kept the previous results as {previous}/", flush=True)

    targets = [str(args.results / study / "MANIFEST.sha256") for study in before]
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(args.cores), *targets]
    if args.configfile:
        cmd += ["--configfile", *args.configfile]
    subprocess.run(cmd, check=True)

    failed = False
    for study, old in before.items():
        problems = compare_manifests(old, read_manifest(args.results / study / "MANIFEST.sha256"))
        status = "identical" if not problems else f"{len(problems)} differences"
        print(f"{study}: {len(old)} data products, {status}")
        for problem in problems:
            print(f"  {problem}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
