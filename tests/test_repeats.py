"""Repeated training runs of one model (``models.<model>.repeats``): each its own ordinary run
with its own training seed (raising the count reruns none: tests/test_workflow.py)."""

from __future__ import annotations

import pytest

from sim2model.errors import ConfigError
from sim2model.registry import load_studies
from sim2model.seeding import derive_seed
from test_settings import merged


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
