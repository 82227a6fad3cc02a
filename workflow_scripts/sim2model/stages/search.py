"""Architecture search stage: tune a model's builder options on a subset of a variant's splits.

Writes the best trial as a config file to layer with ``--configfile`` (the study's model options
with the tuned ones replaced, and tuned training settings) and a table of every trial.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim2model.stages.train import n_model_outputs
from sim2model.train.job import start_training_job
from sim2model.train.losses import LOSS_BY_TASK
from sim2model.train.search import SearchSettings, run_search
from sim2model.train.search_space import TRAIN_KEYS, parse_space

log = logging.getLogger(__name__)


def best_config(
    study: str, model: str, model_config: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """The config that trains ``model`` with the searched ``values``: the model's options with
    the tuned ones replaced, and the tuned training settings under the study's ``train``."""
    options = {**model_config, **{k: v for k, v in values.items() if k not in TRAIN_KEYS}}
    section: dict[str, Any] = {"models": {model: options}}
    train = {k: v for k, v in values.items() if k in TRAIN_KEYS}
    if train:
        section["train"] = train
    return {study: section}


def _header(
    best_path: str,
    study: str,
    model: str,
    variant: str,
    settings: SearchSettings,
    sizes: tuple[int, int],
    records: Sequence[Mapping[str, Any]],
    best: Mapping[str, Any],
) -> str:
    tuned_train = [k for k in TRAIN_KEYS if k in best]
    lines = [
        f"Architecture search of {study} model {model!r} on variant {variant!r}"
        f" (rule architecture_search, Keras-Tuner {settings.tuner}):",
        f"{len(records)} trials on the first {sizes[0]} training and {sizes[1]} validation"
        f" samples, at most {settings.epochs} epochs each (early-stopping patience"
        f" {settings.patience}).",
        f"Best: trial {best['trial']}, validation loss ({settings.loss}, normalised targets)"
        f" {best['val_loss']:.6g} after {best['epochs']} epochs, {best['parameters']} parameters.",
        f"Every trial: trials.csv beside this file. Train with the best one by layering this"
        f" file last: snakemake --cores all --configfile [your.yaml] {best_path}",
    ]
    if tuned_train:
        lines.append(
            f"The tuned {' and '.join(f'{study}.train.{k}' for k in tuned_train)}"
            f" {'applies' if len(tuned_train) == 1 else 'apply'} to every {study} model."
        )
    return "".join(f"# {line}\n" for line in lines)


def _write_atomic(path: str, text: str) -> None:
    tmp = Path(f"{path}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def architecture_search(
    train: str,
    val: str,
    norm: str,
    best: str,
    trials: str,
    *,
    study: str,
    model: str,
    variant: str,
    model_config: Mapping[str, Any],
    train_config: Mapping[str, Any],
    search_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
) -> None:
    """Search ``search_config['space']`` for ``model`` (options ``model_config``) on the first
    ``search_config['subset']`` samples of ``variant``; write ``best`` (YAML config) and
    ``trials`` (CSV: trial, every hyperparameter, val_loss, epochs, parameters)."""
    key = f"{study}.search.{model}.space"
    params = parse_space(search_config["space"], key)
    job = start_training_job(
        train, val, norm, train_config, seed=seed, threads=threads, subset=search_config["subset"]
    )
    settings = SearchSettings(
        tuner=search_config["tuner"],
        max_trials=search_config["max_trials"],
        epochs=search_config["epochs"],
        patience=search_config["patience"],
        batch_size=train_config["batch_size"],
        learning_rate=train_config["learning_rate"],
        loss=LOSS_BY_TASK[job.train.attrs["task"]],
    )
    hyperband = settings.tuner == "hyperband"
    trials_note = "Hyperband brackets" if hyperband else f"{settings.max_trials} trials"
    log.info(
        "searching %d hyperparameters of %s (%s) with %s: %s of at most %d epochs on %d train / "
        "%d val samples",
        len(params), model, model_config["arch"], settings.tuner, trials_note, settings.epochs,
        len(job.x_train), len(job.x_val),
    )  # fmt: skip
    options = {k: v for k, v in model_config.items() if k != "arch"}
    Path(best).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tuner-", dir=Path(best).parent) as work:
        records = run_search(
            job.x_train, job.y_train, job.x_val, job.y_val,
            arch=model_config["arch"], model_options=options,
            n_outputs=n_model_outputs(job.train), params=params, settings=settings,
            seed=seed, directory=work,
        )  # fmt: skip
    if not records:
        raise RuntimeError(f"{key}: no trial completed; see the log above")
    winner = min(records, key=lambda record: record["val_loss"])  # the first of equals
    values = {p.name: winner[p.name] for p in params}
    config = best_config(study, model, model_config, values)
    header = _header(
        best, study, model, variant, settings, (len(job.x_train), len(job.x_val)), records, winner
    )
    _write_atomic(trials, pd.DataFrame(records).to_csv(index=False))
    _write_atomic(best, header + yaml.safe_dump(config, sort_keys=False))
    log.info("best trial %s: val_loss %.5g, %s", winner["trial"], winner["val_loss"], values)
