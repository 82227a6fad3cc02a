"""Repeated training runs of one model (``models.<model>.repeats``): each its own ordinary run
with its own training seed; raising the count adds runs and reruns none."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.registry import load_studies
from sim2model.seeding import derive_seed
from test_settings import REPO, merged


def eor(models: dict) -> object:
    return load_studies(merged({"studies": ["eor21cm"], "eor21cm": {"models": models}}))["eor21cm"]


def test_repeats_are_runs_named_after_the_model_with_the_same_options():
    study = eor({"vgg": {"arch": "vgg", "dense_units": 8, "repeats": 3}})
    assert list(study.models()) == ["vgg", "vgg-seed2", "vgg-seed3"]
    assert study.repeats("vgg") == ["vgg", "vgg-seed2", "vgg-seed3"]
    assert study.runs() == [("builtin", "vgg"), ("builtin", "vgg-seed2"), ("builtin", "vgg-seed3")]
    options = {name: study.model_options(name) for name in study.models()}
    assert all(o == {"arch": "vgg", "dense_units": 8} for o in options.values()), options
    # the one-run model's options are those of the three-run one: raising repeats changes
    # nothing a finished run depends on
    assert eor({"vgg": {"arch": "vgg", "dense_units": 8}}).model_options("vgg") == options["vgg"]


def test_each_repeat_trains_with_its_own_seed():
    """The train rule derives its seed from (seed, study, "train", variant, model)."""
    seeds = {derive_seed(42, "eor21cm", "train", "builtin", m, bits=32)
             for m in eor({"vgg": {"arch": "vgg", "repeats": 3}}).models()}  # fmt: skip
    assert len(seeds) == 3


def test_a_model_named_like_a_repeat_of_another_is_refused():
    models = {"vgg": {"arch": "vgg", "repeats": 2}, "vgg-seed2": {"arch": "vgg"}}
    with pytest.raises(ConfigError, match="repeat of another model") as caught:
        eor(models)
    assert caught.value.key == "eor21cm.models.vgg-seed2"
    eor({"vgg": {"arch": "vgg"}, "vgg-seed2": {"arch": "vgg"}})  # no repeats: no clash


@pytest.mark.slow
def test_raising_repeats_plans_only_the_new_runs(tmp_path):
    """After a real run with two repeats, a dry run with three plans training for vgg-seed3
    only (and what reads every run: the tables and figures)."""
    from test_workflow import copy_workflow, planned_jobs, snakemake

    work = copy_workflow(tmp_path / "wf")
    override = tmp_path / "eor.yaml"

    def with_repeats(repeats: int) -> Path:
        override.write_text(yaml.safe_dump(
            {"studies": ["eor21cm"], "eor21cm": {"models": {"vgg": {"repeats": repeats}},
                                                 "compare_random_split": False}}
        ))  # fmt: skip
        return override

    tiny = REPO / "tests/configs/tiny.yaml"
    snakemake(work, "--cores", "2", configfiles=(tiny, with_repeats(2)))
    plan = snakemake(work, "-n", "--cores", "2", configfiles=(tiny, with_repeats(3)))
    jobs = planned_jobs(plan.stdout)
    assert jobs.get("train") == 1 and jobs.get("evaluate") == 1, plan.stdout[-3000:]
    assert "models/builtin/vgg-seed3/model.keras" in plan.stdout
    assert "models/builtin/vgg/model.keras" not in plan.stdout.replace("input: ", "")
