"""Training throughput of every registered model: the project's trainer against a plain model.fit.

For each model at the input shape and options of the embedded default config, trains on random
data and prints images/s and achieved GFLOP/s (training FLOPs counted from the forward graph,
x3 for the backward pass) through ``sim2model.train.fit.train_model`` and through a plain
``model.fit`` on the same arrays, with their ratio. Each backend runs in its own process; JAX
runs beside TensorFlow where it is installed. Timed epochs exclude the first (tracing, compile).

    python benchmarks/train_throughput.py                     # CPU, all models, 2 threads
    python benchmarks/train_throughput.py --models xception vgg --threads 1
    python benchmarks/train_throughput.py --device gpu --backends jax --batch-size 1024 \\
        --precision mixed_bfloat16 --n-images 65536 --models xception
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))

#: Registered model -> (default-config study, input shape, outputs, dataset task).
MODELS = {
    "xception": ("galsim", (64, 64, 1), 5, "regression"),
    "vgg": ("eor21cm", (32, 32, 1), 1, "regression"),
    "cnn_classifier": ("galaxy10", (69, 69, 1), 5, "classification"),
    "mlp": ("galaxy10", (69, 69, 1), 5, "classification"),
    "unet": ("turbulence", (32, 32, 1), 1, "image2image"),
    "dgcnn": ("crsphere", (500, 4), 2, "classification"),
}


def model_options(name: str) -> dict:
    """Builder options of ``name`` in the embedded default config."""
    import yaml

    study = MODELS[name][0]
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for spec in config[study]["models"].values():
        if spec["arch"] == name:
            return {k: v for k, v in spec.items() if k not in ("arch", "variants")}
    raise KeyError(name)


def forward_flops(model, shape) -> float | None:
    """FLOPs of one forward pass of one sample (TensorFlow graph profiler; None elsewhere)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    spec = tf.TensorSpec([1, *shape], tf.float32)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


class EpochTimer:
    """Keras callback recording the wall time of every epoch."""

    def __new__(cls):
        import keras

        class _Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.times = []

            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self.start)

        return _Timer()


def worker(args: argparse.Namespace) -> None:
    """Measure every model on one backend; print one JSON line per model."""
    from sim2model.train.backend import configure_backend, describe_devices

    configure_backend(
        args.backend, deterministic=False, seed=0, threads=args.threads, precision=args.precision
    )
    import keras
    import numpy as np

    from sim2model.models import build_model
    from sim2model.stages.train import LOSS_BY_TASK
    from sim2model.train.fit import train_model

    device = describe_devices()["device"]
    if args.device == "gpu" and device == "CPU":
        raise SystemExit(f"--device gpu: the {args.backend} backend sees no GPU")
    rng = np.random.default_rng(0)
    for name in args.models:
        _, shape, outputs, task = MODELS[name]
        n = args.n_images // 4 if name == "dgcnn" else args.n_images
        x = rng.normal(size=(n, *shape)).astype(np.float32)
        if task == "classification":
            y = rng.integers(0, outputs, n)
        elif task == "image2image":
            y = rng.normal(size=(n, *shape)).astype(np.float32)
        else:
            y = rng.normal(size=(n, outputs)).astype(np.float32)
        loss = LOSS_BY_TASK[task]
        rates = {}
        for path in ("trainer", "model.fit"):
            keras.utils.set_random_seed(0)
            model = build_model(name, shape, outputs, **model_options(name))
            timer = EpochTimer()
            if path == "trainer":
                with tempfile.TemporaryDirectory() as tmp:
                    train_model(
                        model, x, y, x[: args.batch_size], y[: args.batch_size],
                        model_path=Path(tmp) / "m.keras", history_path=Path(tmp) / "h.csv",
                        epochs=args.epochs, batch_size=args.batch_size, patience=args.epochs,
                        loss=loss, verbose=0, callbacks=[timer],
                        prefetch_workers=2 if args.device == "gpu" else 0,
                    )  # fmt: skip
            else:
                model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
                model.fit(
                    x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0,
                    callbacks=[timer],
                )  # fmt: skip
            rates[path] = n / float(np.median(timer.times[1:]))
        flops = forward_flops(model, shape)
        print(
            json.dumps(
                {
                    "backend": args.backend,
                    "device": device,
                    "model": name,
                    "params": model.count_params(),
                    "forward_flops": flops,
                    "images": n,
                    **rates,
                }
            ),  # fmt: skip
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"])
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--n-images", type=int, default=1024, help="per epoch (dgcnn: a quarter)")
    parser.add_argument("--epochs", type=int, default=3, help="the first is not timed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        return worker(args)

    env = dict(os.environ, PYTHONPATH=str(ROOT / "workflow_scripts"), TF_CPP_MIN_LOG_LEVEL="3")
    if args.device == "cpu":
        env |= {"CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": str(args.threads)}
    rows, flops = [], {}
    for backend in args.backends:
        if importlib.util.find_spec(backend) is None:
            print(f"# {backend}: not installed, skipped")
            continue
        cmd = [sys.executable, __file__, "--backend", backend, *sys.argv[1:]]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if out.returncode:
            print(f"# {backend} failed:\n{out.stderr[-2000:]}")
            continue
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                rows.append(row)
                flops[row["model"]] = row["forward_flops"] or flops.get(row["model"])
    print(
        f"# batch {args.batch_size}, {args.precision}, {args.device}, {args.threads} threads; "
        "GFLOP/s = 3 x forward FLOPs x images/s"
    )
    header = (
        f"{'model':<15}{'backend':<11}{'device':<16}{'params':>9}{'trainer img/s':>15}"
        f"{'fit img/s':>11}{'trainer/fit':>13}{'GFLOP/s':>9}"
    )
    print(header)
    for row in rows:
        forward = flops.get(row["model"])
        gflops = 3 * forward * row["trainer"] / 1e9 if forward else float("nan")
        print(
            f"{row['model']:<15}{row['backend']:<11}{row['device'][:15]:<16}{row['params']:>9}"
            f"{row['trainer']:>15.0f}{row['model.fit']:>11.0f}"
            f"{row['trainer'] / row['model.fit']:>13.2f}{gflops:>9.1f}"
        )


if __name__ == "__main__":
    main()
