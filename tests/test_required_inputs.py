"""The skip switch: a missing optional input skips on a user's clone and fails where required.

Runs pytest on tests/test_athdf.py (real Athena++ fixtures from ../shared) with the shared
folder pointed at an empty directory, once as a user would and once as CI does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, REQUIRE_SHARED


def run_pytest(shared: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SIM2MODEL_REQUIRE")}
    environment.update(SIM2MODEL_SHARED=str(shared), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "tests/test_athdf.py"],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def outcomes(result: subprocess.CompletedProcess) -> dict[str, int]:
    """``{"passed": 19, "skipped": 50, ...}`` from pytest's summary line."""
    summary = result.stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}


def test_missing_shared_fixtures_skip_with_the_path_on_a_users_clone(tmp_path):
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    counts = outcomes(result)
    assert counts["skipped"] >= 40 and "errors" not in counts and "failed" not in counts
    assert f"real simulator fixtures not found at {tmp_path / 'fixtures'}" in result.stdout


def test_missing_shared_fixtures_fail_where_required(tmp_path):
    skipped = outcomes(run_pytest(tmp_path))["skipped"]
    result = run_pytest(tmp_path, **{REQUIRE_SHARED: "1"})
    assert result.returncode == 1, result.stdout[-3000:]
    counts = outcomes(result)
    assert "skipped" not in counts and counts["errors"] == skipped
    assert f"{REQUIRE_SHARED}=1: this input is required here" in result.stdout
