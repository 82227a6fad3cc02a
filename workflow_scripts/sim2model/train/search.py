"""Architecture search with Keras-Tuner: a configured space as hyperparameters, the tuner and
the trials.

keras_tuner imports keras, so call these functions after
:func:`sim2model.train.backend.configure_backend`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim2model.train.search_space import TRAIN_KEYS, TUNERS, SearchParam, is_number

log = logging.getLogger(__name__)


def hyperparameters(params: Sequence[SearchParam]) -> Any:
    """A ``keras_tuner.HyperParameters`` holding ``params``."""
    import keras_tuner as kt

    hp = kt.HyperParameters()
    for p in params:
        if p.kind == "choice":
            hp.Choice(p.name, list(p.values), ordered=all(map(is_number, p.values)))
        elif p.kind == "int":
            hp.Int(p.name, p.min, p.max, step=p.step, sampling=p.sampling)
        else:
            hp.Float(p.name, float(p.min), float(p.max), step=p.step, sampling=p.sampling)
    return hp


def tuned_values(hp: Any) -> dict[str, Any]:
    """The searched values of a trial (without Hyperband's ``tuner/...`` bookkeeping)."""
    return {name: value for name, value in hp.values.items() if not name.startswith("tuner/")}


def make_tuner(
    tuner: str,
    hypermodel: Any,
    params: Sequence[SearchParam],
    *,
    max_trials: int,
    epochs: int,
    seed: int,
    directory: str,
    on_trial_end: Callable[[Any], None] | None = None,
) -> Any:
    """A Keras-Tuner tuner minimising ``val_loss`` over ``params``, seeded by ``seed``.

    ``bayesian`` (Gaussian-process oracle, as the reference notebook's AutoKeras search) and
    ``random`` run ``max_trials`` trials; ``hyperband`` brackets trials of up to ``epochs``
    epochs (factor 3, one iteration), so its number of trials follows from ``epochs``. The
    tuner's working files go to ``directory``, overwritten. ``on_trial_end`` is called with
    each finished ``keras_tuner.engine.trial.Trial``.
    """
    import keras_tuner as kt

    if tuner not in TUNERS:
        raise ValueError(f"tuner must be one of {TUNERS}, got {tuner!r}")
    common = {
        "hypermodel": hypermodel,
        "objective": "val_loss",
        "hyperparameters": hyperparameters(params),
        "tune_new_entries": False,
        "seed": seed or 1,  # keras_tuner draws a random seed for 0
        "directory": directory,
        "project_name": "tuner",
        "overwrite": True,
        "max_consecutive_failed_trials": 1,
    }
    base = {
        "bayesian": kt.BayesianOptimization,
        "random": kt.RandomSearch,
        "hyperband": kt.Hyperband,
    }

    class Tuner(base[tuner]):
        def _configure_tensorboard_dir(self, *args: Any, **kwargs: Any) -> None:
            """No TensorBoard callback runs here; keras_tuner 1.4.8 would import tensorboard,
            which tensorflow-cpu does not install, for every trial on the TensorFlow backend."""

        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)
            if on_trial_end is not None:
                on_trial_end(trial)

    if tuner == "hyperband":
        return Tuner(max_epochs=epochs, factor=3, hyperband_iterations=1, **common)
    return Tuner(max_trials=max_trials, **common)


@dataclass(frozen=True)
class SearchSettings:
    """How a search trains each trial (the study's ``search.<model>`` block, resolved)."""

    tuner: str
    max_trials: int
    epochs: int
    patience: int
    batch_size: int
    learning_rate: float
    loss: str


def run_search(
    x_train: Any,
    y_train: Any,
    x_val: Any,
    y_val: Any,
    *,
    arch: str,
    model_options: Mapping[str, Any],
    n_outputs: int,
    params: Sequence[SearchParam],
    settings: SearchSettings,
    seed: int,
    directory: str,
) -> list[dict[str, Any]]:
    """Search ``params`` for model ``arch`` and return one record per trial, in trial order.

    Each trial builds ``arch`` from ``model_options`` with the trial's values in place, trains
    it with Adam on ``settings.loss`` (early stopping on the validation loss) and scores it by
    its lowest validation loss. A record holds ``trial`` (keras_tuner's id), every searched
    value, ``val_loss``, ``epochs`` (run) and ``parameters`` (of the network). Weights and
    batch order of trial ``n`` are seeded by ``(seed, n)``, and the oracle by ``seed``, so a
    rerun with deterministic kernels repeats every trial.
    """
    import keras
    import keras_tuner as kt

    from sim2model.models import build_model
    from sim2model.seeding import derive_seed
    from sim2model.train.fit import LOSS_METRICS

    records: list[dict[str, Any]] = []
    last: dict[str, int] = {}  # the running trial's network size and epochs trained

    class HyperModel(kt.HyperModel):
        def build(self, hp: Any) -> keras.Model:
            keras.utils.set_random_seed(derive_seed(seed, "trial", len(records), bits=32))
            values = tuned_values(hp)
            options = {**model_options, **{k: v for k, v in values.items() if k not in TRAIN_KEYS}}
            net = build_model(arch, x_train.shape[1:], n_outputs, **options)
            learning_rate = values.get("learning_rate", settings.learning_rate)
            net.compile(
                optimizer=keras.optimizers.Adam(learning_rate),
                loss=settings.loss,
                metrics=LOSS_METRICS[settings.loss],
            )
            last["parameters"] = net.count_params()
            return net

        def fit(self, hp: Any, model: keras.Model, *args: Any, **kwargs: Any) -> Any:
            batch_size = tuned_values(hp).get("batch_size", settings.batch_size)
            history = model.fit(*args, batch_size=batch_size, shuffle=True, **kwargs)
            last["epochs"] = len(history.epoch)
            return history

    def record(trial: Any) -> None:
        if trial.status != "COMPLETED":
            return
        row = {
            "trial": trial.trial_id,
            **tuned_values(trial.hyperparameters),
            "val_loss": trial.score,
            "epochs": last["epochs"],
            "parameters": last["parameters"],
        }
        records.append(row)
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in tuned_values(trial.hyperparameters).items())  # fmt: skip
        best = min(r["val_loss"] for r in records)
        log.info(
            "trial %d/%s (id %s): val_loss %.5g after %d epochs, %d parameters; best %.5g [%s]",
            len(records), "?" if settings.tuner == "hyperband" else settings.max_trials,
            trial.trial_id, trial.score, last["epochs"], last["parameters"], best, shown,
        )  # fmt: skip

    tuner = make_tuner(
        settings.tuner,
        HyperModel(),
        params,
        max_trials=settings.max_trials,
        epochs=settings.epochs,
        seed=seed,
        directory=directory,
        on_trial_end=record,
    )
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings.patience)
    tuner.search(
        x_train,
        y_train,
        epochs=settings.epochs,
        validation_data=(x_val, y_val),
        callbacks=[early_stopping],
        verbose=0,
    )
    return records
