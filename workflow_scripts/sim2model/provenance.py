"""Provenance: config hashes, code and package versions, stamped into every output."""

from __future__ import annotations

import hashlib
import json
import platform
import socket
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from sim2model import __version__

#: Distributions whose versions every dataset file records.
TRACKED_PACKAGES = (
    "numpy", "h5py", "scipy", "galsim", "astropy", "keras", "tensorflow-cpu", "tensorflow",
    "jax", "pandas", "matplotlib", "snakemake",
)  # fmt: skip

REPO_ROOT = Path(__file__).resolve().parents[2]


def config_hash(config: Any) -> str:
    """Short SHA-256 of a JSON-serialisable config (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Versions of the installed distributions among ``names`` (missing ones are left out)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_state() -> dict[str, Any]:
    """The checkout's commit and whether it has uncommitted changes (None outside git)."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def code_version() -> str:
    """Library version plus git commit: what produced a file (no dirty flag: reruns match)."""
    commit = git_state()["commit"]
    return f"{__version__}+g{commit[:12]}" if commit else __version__


def stamp_attrs(attrs: dict[str, Any], *, config: Any, created_by: str) -> dict[str, Any]:
    """Return ``attrs`` plus the contract's provenance attributes."""
    return {
        **attrs,
        "config_hash": config_hash(config),
        "code_version": code_version(),
        "created_by": created_by,
        "versions": package_versions(),
    }


def provenance_record(config: Any, *, started: str, finished: str) -> dict[str, Any]:
    """Everything needed to say how a study's results were made (for provenance.json)."""
    return {
        "sim2model_version": __version__,
        "git": git_state(),
        "config": config,
        "config_hash": config_hash(config),
        "packages": package_versions(),
        "host": {
            "hostname": socket.gethostname(),
            "platform": platform.platform(),
            "machine": platform.machine(),
        },
        "started": started,
        "finished": finished,
    }
