"""Subprocess worker for the training tests: a fresh process, so the backend is configured anew.

Trains a small Xception on fixed synthetic data with the ``--backend`` Keras backend
(tensorflow unless named), writes what :func:`describe_devices` reports to
``<out_dir>/devices.json`` and the backend's environment to ``<out_dir>/environment.json``,
appends each epoch it runs to ``<out_dir>/epochs_run.txt`` (then sleeps ``--sleep`` seconds,
before the epoch's backup is written, so a test can kill the job there), writes
``<out_dir>/model.keras`` and ``<out_dir>/history.csv`` and saves the final weights to
``<out_dir>/weights.npz``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sleep", type=float, default=0.0, help="pause after each epoch [s]")
    parser.add_argument("--prefetch", type=int, default=0, help="batch-gathering threads")
    parser.add_argument("--backend", default="tensorflow", help="Keras backend")
    args = parser.parse_args()

    from sim2model.train.backend import configure_backend, describe_devices

    configure_backend(args.backend, deterministic=True, seed=args.seed, threads=1)
    import keras

    (args.out_dir / "devices.json").write_text(json.dumps(describe_devices()))
    environment = {key: os.environ.get(key) for key in ("KERAS_BACKEND", "XLA_FLAGS")}
    (args.out_dir / "environment.json").write_text(json.dumps(environment))

    from sim2model.models import build_model
    from sim2model.train.fit import train_model

    class RecordEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            with (args.out_dir / "epochs_run.txt").open("a") as f:
                f.write(f"{epoch}\n")
            time.sleep(args.sleep)

    rng = np.random.default_rng(1234)
    x = rng.normal(size=(48, 32, 32, 1)).astype(np.float32)
    y = np.stack([x.mean(axis=(1, 2, 3)), x.std(axis=(1, 2, 3))], axis=1)
    model = build_model(
        "xception", x.shape[1:], 2, entry_filters=8, sep_filters=8, residual_blocks=1
    )
    train_model(
        model,
        x[:32],
        y[:32],
        x[32:],
        y[32:],
        model_path=args.out_dir / "model.keras",
        history_path=args.out_dir / "history.csv",
        epochs=args.epochs,
        batch_size=8,
        patience=100,
        seed=args.seed,
        callbacks=[RecordEpoch()],
        prefetch_workers=args.prefetch,
    )
    np.savez(args.out_dir / "weights.npz", *model.get_weights())


if __name__ == "__main__":
    main()
