"""Architecture search: config space -> Keras-Tuner, checks, a real tiny search and its config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO, make_dataset
from sim2model.errors import ConfigError
from sim2model.registry import load_studies
from sim2model.schema import check_schema
from sim2model.train.backend import configure_backend
from sim2model.train.search import hyperparameters, make_tuner
from sim2model.train.search_space import SearchParam, parse_param, parse_space
from test_settings import DEFAULT, REGISTRY, SCHEMA, merged

#: A small Xception space over every kind of hyperparameter.
SPACE = {
    "entry_filters": [4, 8],
    "sep_filters": [8, 16],
    "residual_blocks": {"min": 1, "max": 2},
    "activation": ["selu", "relu"],
    "dropout": {"min": 0.0, "max": 0.5, "step": 0.1},
    "learning_rate": {"min": 1.0e-4, "max": 1.0e-2, "sampling": "log"},
}


@pytest.fixture(scope="module", autouse=True)
def tensorflow_backend():
    configure_backend("tensorflow", deterministic=True, seed=0, threads=1)


def test_space_maps_lists_to_choices_and_ranges_to_int_or_float():
    import keras_tuner as kt

    hp = hyperparameters(parse_space(SPACE, "galsim.search.xception.space"))
    space = {p.name: p for p in hp.space}
    assert isinstance(space["entry_filters"], kt.engine.hyperparameters.Choice)
    assert space["entry_filters"].values == [4, 8] and space["entry_filters"].ordered
    assert not space["activation"].ordered  # strings have no order
    blocks = space["residual_blocks"]
    assert isinstance(blocks, kt.engine.hyperparameters.Int)
    assert (blocks.min_value, blocks.max_value, blocks.step) == (1, 2, 1)
    dropout, rate = space["dropout"], space["learning_rate"]
    assert isinstance(dropout, kt.engine.hyperparameters.Float) and dropout.step == 0.1
    assert isinstance(rate, kt.engine.hyperparameters.Float) and rate.sampling == "log"
    # log sampling: the unit interval maps to equal ratios (1e-4 .. 1e-2, midpoint 1e-3)
    assert rate.prob_to_value(0.5) == pytest.approx(1.0e-3)


def test_a_choice_of_ints_and_floats_becomes_floats_and_other_mixtures_are_refused():
    assert parse_param("dropout", [0, 0.25], "k").values == (0.0, 0.25)
    with pytest.raises(ConfigError, match="one kind"):
        parse_param("activation", ["relu", 1], "k")


def test_a_range_of_integers_holds_only_values_on_its_steps():
    blocks = SearchParam("residual_blocks", min=2, max=8, step=2)
    assert blocks.kind == "int" and blocks.contains(6) and not blocks.contains(5)
    assert SearchParam("dropout", min=0.0, max=0.5, step=0.1).kind == "float"


def first_trials(tuner: str, seed: int, directory: Path) -> list[dict]:
    """Hyperparameters of a tuner's first three trials (drawn, not trained)."""
    import keras
    import keras_tuner as kt

    def build(hp):
        return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])

    params = parse_space(SPACE, "space")
    made = make_tuner(tuner, build, params, max_trials=5, epochs=9, seed=seed,
                      directory=str(directory))  # fmt: skip
    bases = {"bayesian": kt.BayesianOptimization, "random": kt.RandomSearch,
             "hyperband": kt.Hyperband}  # fmt: skip
    assert isinstance(made, bases[tuner]) and made.oracle.objective.name == "val_loss"
    if tuner == "hyperband":
        assert made.oracle.max_epochs == 9
    return [made.oracle.create_trial(f"w{i}").hyperparameters.values for i in range(3)]


@pytest.mark.parametrize("tuner", ["bayesian", "random", "hyperband"])
def test_each_tuner_draws_the_same_trials_from_the_same_seed(tuner, tmp_path):
    first = first_trials(tuner, 7, tmp_path / "a")
    assert first == first_trials(tuner, 7, tmp_path / "b")
    assert first != first_trials(tuner, 8, tmp_path / "c")
    params = parse_space(SPACE, "space")
    assert all(p.contains(trial[p.name]) for trial in first for p in params)


def galsim_config(search: dict) -> dict:
    """The embedded default with galsim's search block replaced by ``search``."""
    config = merged({"studies": ["galsim"]})
    config["galsim"]["search"] = search
    return config


@pytest.mark.parametrize(
    ("search", "key"),
    [
        ({"xception": {"space": {"foo": [1, 2]}}}, "galsim.search.xception.space.foo"),
        ({"vgg": {"space": {"dense_units": [8]}}}, "galsim.search.vgg"),
        ({"autoencoder": {"space": {"dense_units": [8]}}}, "galsim.search.autoencoder"),
        ({"xception": {"variant": "v9", "space": {"dropout": [0.0]}}},
         "galsim.search.xception.variant"),
        ({"xception": {"space": {"dropout": {"min": 0.5, "max": 0.1}}}},
         "galsim.search.xception.space.dropout"),
        ({"xception": {"space": {"learning_rate": {"min": 0, "max": 1, "sampling": "log"}}}},
         "galsim.search.xception.space.learning_rate.min"),
        ({"xception": {"space": {"residual_blocks": {"min": 1, "max": 4, "step": 0.5}}}},
         "galsim.search.xception.space.residual_blocks.step"),
        ({"xception": {"space": {"kernel_size": [3, 3]}}},
         "galsim.search.xception.space.kernel_size"),
        ({"xception": {"subset": 0, "space": {"dropout": [0.0]}}}, "galsim.search.xception.subset"),
        ({"xception": {}}, "galsim.search.xception.space"),
    ],
)  # fmt: skip
def test_study_check_names_the_bad_search_key(search, key):
    with pytest.raises(ConfigError) as error:
        load_studies(galsim_config(search))
    assert error.value.key == key


def test_the_configured_searches_pass_the_schema_and_the_checks():
    paper = yaml.safe_load((REPO / "config" / "paper" / "galsim.yaml").read_text())
    for config in (DEFAULT, merged(paper)):
        check_schema(config, SCHEMA, registry=REGISTRY)
        searches = load_studies(merged({"studies": ["galsim"]}, config))["galsim"].searches()
        assert searches["xception"]["variant"] == "v2"


def write_splits(folder: Path) -> dict[str, str]:
    """Train/val splits of 16x16 images whose three targets are linear in the pixels."""
    from sim2model.data.normalise import fit_normaliser
    from sim2model.io.dataset import write_dataset

    paths = {}
    for split, n, seed in (("train", 64, 1), ("val", 16, 2)):
        ds = make_dataset(n, seed=seed)
        x = np.random.default_rng(seed).normal(size=(n, 16, 16, 1)).astype(np.float32)
        ds.x, ds.extra = x, {}
        ds.y = np.stack([x.mean((1, 2, 3)), x[:, :8].mean((1, 2, 3)), x.std((1, 2, 3))], 1)
        paths[split] = str(write_dataset(folder / f"{split}.h5", ds))
        if split == "train":
            fit_normaliser(ds.x, ds.y, task="regression", image_scaling="standard").save(
                folder / "norm.json"
            )
    paths["norm"] = str(folder / "norm.json")
    return paths


def tiny_search(tmp_path: Path) -> tuple[dict, pd.DataFrame]:
    """Two 2-epoch trials of a tiny Xception; the best config and the trials table."""
    from sim2model.stages.search import architecture_search

    out = tmp_path / "search"
    architecture_search(
        **write_splits(tmp_path / "data"),
        best=str(out / "best.yaml"),
        trials=str(out / "trials.csv"),
        study="galsim",
        model="xception",
        variant="v2",
        model_config={"arch": "xception", "kernel_size": 3, "residual_blocks": 1, "sep_filters": 8},
        train_config={**DEFAULT["train"], "batch_size": 16},
        search_config={
            "subset": 48,
            "tuner": "bayesian",
            "max_trials": 2,
            "epochs": 2,
            "patience": 2,
            "space": SPACE,
        },
        seed=7,
    )
    text = (out / "best.yaml").read_text()
    assert text.startswith("# Architecture search of galsim model 'xception' on variant 'v2'")
    assert "2 trials on the first 48 training and 12 validation samples" in text
    return yaml.safe_load(text), pd.read_csv(out / "trials.csv")


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    return tiny_search(tmp_path_factory.mktemp("search"))


def test_tiny_search_writes_every_trial_and_the_best_values_in_the_space(searched):
    best, trials = searched
    assert list(trials.columns) == ["trial", *SPACE, "val_loss", "epochs", "parameters"]
    assert len(trials) == 2 and (trials["epochs"] == 2).all()
    assert np.isfinite(trials["val_loss"]).all() and (trials["parameters"] > 0).all()
    params = {p.name: p for p in parse_space(SPACE, "space")}
    options = best["galsim"]["models"]["xception"]
    winner = trials.loc[trials["val_loss"].idxmin()]
    for name, param in params.items():
        value = best["galsim"]["train"][name] if name == "learning_rate" else options[name]
        assert param.contains(value), (name, value)
        assert value == (winner[name] if param.kind == "choice" else pytest.approx(winner[name]))
    # options outside the space keep their configured values
    assert options["arch"] == "xception" and options["kernel_size"] == 3
    assert set(best["galsim"]) == {"models", "train"}
    assert set(best["galsim"]["train"]) == {"learning_rate"}


def test_the_best_config_layers_over_the_config_and_changes_the_model(searched):
    best, _ = searched
    config = merged(best, merged({"studies": ["galsim"]}))
    check_schema(config, SCHEMA, registry=REGISTRY)
    study = load_studies(config)["galsim"]
    tuned = best["galsim"]["models"]["xception"]
    assert {k: study.models()["xception"][k] for k in tuned} == tuned
    assert study.train_settings()["learning_rate"] == best["galsim"]["train"]["learning_rate"]
    # the tuned options differ from the embedded default's somewhere (entry_filters 16 is not in
    # the space), so layering the file changes what the train rule builds
    assert study.models()["xception"] != DEFAULT["galsim"]["models"]["xception"]
