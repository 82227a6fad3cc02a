"""Shared fixtures: small contract datasets, the location of ../shared, and the skip switch.

A test whose input is optional (the real simulator outputs in ../shared, the jax backend,
21cmFAST, a SLURM cluster) calls :func:`skip_unless_required`: on a user's clone it skips with
the reason, and where the matching ``SIM2MODEL_REQUIRE_*`` variable is ``1`` (as `.ci/run` sets
them) it fails, so that CI never goes green with a family of tests silently skipped.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest

from sim2model.io.dataset import Dataset

REPO = Path(__file__).resolve().parents[1]
#: The folder beside the clone that holds the reference inputs (overridable for the switch's test).
SHARED = Path(os.environ.get("SIM2MODEL_SHARED", REPO.parent / "shared"))
SHARED_FIXTURES = SHARED / "fixtures"
#: Where each kind of optional input is made compulsory (`.ci/run` sets all of them to 1).
REQUIRE_SHARED = "SIM2MODEL_REQUIRE_SHARED"
REQUIRE_JAX = "SIM2MODEL_REQUIRE_JAX"
REQUIRE_21CMFAST = "SIM2MODEL_REQUIRE_21CMFAST"
REQUIRE_CLUSTER = "SIM2MODEL_REQUIRE_CLUSTER"


def skip_unless_required(reason: str, variable: str) -> NoReturn:
    """Skip the test with ``reason``, or fail it where ``variable`` is set to ``1``."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1: this input is required here)", pytrace=False)
    pytest.skip(reason)


#: The reference notebook's fixed-parameter test-set galaxy (its sigma 400 / 200 give SNR 30 / 60).
SEED_TESTSET = {
    "flux": 1e5,
    "sersic_n": 3.0,
    "half_light_radius": 0.3,
    "g1": -0.069,
    "g2": 0.15,
    "psf_fwhm": 0.5,
}


def make_dataset(n: int = 10, *, seed: int = 0, first_id: int = 0) -> Dataset:
    """A valid regression dataset of ``n`` 8x8x1 samples with three targets."""
    rng = np.random.default_rng(seed)
    return Dataset(
        x=rng.normal(size=(n, 8, 8, 1)).astype(np.float32),
        y=rng.uniform(-3, 5, size=(n, 3)).astype(np.float32),
        meta={"sample_id": np.arange(first_id, first_id + n), "snr": rng.uniform(10, 100, n)},
        extra={"noiseless": rng.normal(size=(n, 8, 8)).astype(np.float32)},
        attrs={
            "study": "unit",
            "task": "regression",
            "target_names": ["a", "b", "c"],
            "class_names": [],
            "config_hash": "0" * 16,
            "code_version": "test",
            "created_by": "pytest",
            "versions": {"numpy": np.__version__},
        },
    )


@contextlib.contextmanager
def local_server(
    handler: Callable[..., BaseHTTPRequestHandler],
) -> Iterator[ThreadingHTTPServer]:
    """An HTTP server on 127.0.0.1 (a free port) answering with ``handler``, for the download
    tests; shut down on exit."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def small_dataset() -> Dataset:
    return make_dataset()


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        skip_unless_required(
            f"real simulator fixtures not found at {SHARED_FIXTURES} (../shared absent)",
            REQUIRE_SHARED,
        )
    return SHARED_FIXTURES


#: Test files that hold the suite's long end-to-end chains, started first (in this order) so
#: that two pytest-xdist workers each begin with one and share out the short tests meanwhile.
LONG_FILES = ("test_workflow.py", "test_cluster.py", "test_workflow_own_data.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long end-to-end files first, the rest in collection order."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONG_FILES.index(name) if name in LONG_FILES else len(LONG_FILES)

    items.sort(key=rank)  # stable: tests keep their order within a file
