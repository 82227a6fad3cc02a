"""Turbulence captions name the transport classes in the reference's words (Bustard & Wu 2024:
MHD, CR advection only, CR diffusion, CR diffusion x100, CR streaming)."""

from __future__ import annotations

from pathlib import Path

import yaml

from sim2model.registry import STUDY_CLASSES, load_studies
from sim2model.studies.turbulence.study import athena_reference_labels, reference_classes_note
from test_athena import athena_study
from test_turbulence_geometry import own_config, write_run

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_athena_captions_name_the_classes_as_the_reference():
    caption = athena_study().describe("mhd_vs_cr")
    assert "Classes in the reference's terms: mhd = MHD; " in caption
    assert "diffusion_slow = CR diffusion (kappa_par 0.1)" in caption
    fast = "diffusion_fast = CR diffusion x10 (kappa_par 1; the reference's fast class is x100)"
    assert fast in caption
    assert "streaming = CR streaming." in caption
    # config/turbulence_athena.yaml runs the advection-only class too
    assert "advection = CR advection only" in caption
    assert "No counterpart" not in caption


def test_reference_classes_without_a_counterpart_are_named():
    four = {
        "mhd": {"transport": "mhd"},
        "slow": {"transport": "diffusion", "kappa_par": 0.1},
        "fast": {"transport": "diffusion", "kappa_par": 10.0},
        "streaming": {"transport": "streaming", "kappa_par": 0.5},
    }
    labels = athena_reference_labels(four)
    assert labels == {
        "mhd": "MHD",
        "slow": "CR diffusion (kappa_par 0.1)",
        "fast": "CR diffusion x100 (kappa_par 10)",
        "streaming": "CR streaming + diffusion (kappa_par 0.5)",
    }
    assert reference_classes_note(labels).endswith(
        " No counterpart here of the reference's CR advection only."
    )
    labels = athena_reference_labels({**four, "adv": {"transport": "advection"}})
    assert labels["adv"] == "CR advection only"
    assert "No counterpart" not in reference_classes_note(labels)
    # only MHD and diffusion: streaming and the x100 class are missing
    two = athena_reference_labels({"mhd": four["mhd"], "slow": four["slow"]})
    assert reference_classes_note(two).endswith(
        "No counterpart here of the reference's CR advection only, CR diffusion x100, CR streaming."
    )


def test_surrogate_and_own_runs_captions(tmp_path):
    surrogate = STUDY_CLASSES["turbulence"](DEFAULT).describe()
    assert "SURROGATE" in surrogate  # still says what the data are, first
    assert "mhd = MHD; diffusion_slow = CR diffusion;" in surrogate
    assert "diffusion_fast = CR diffusion, faster (as the reference's CR diffusion x100)" in (
        surrogate
    )
    assert "No counterpart here of the reference's CR advection only." in surrogate
    # a user's own runs (source athdf): their class names say nothing of the physics
    runs = {"mhd": tmp_path / "a", "streaming": tmp_path / "b"}
    for directory in runs.values():
        write_run(directory, (64, 64, 64))
    own = load_studies(own_config(runs))["turbulence"].describe()
    assert "Data: Athena++ snapshots." in own and "reference's terms" not in own
    assert reference_classes_note({}) == ""
