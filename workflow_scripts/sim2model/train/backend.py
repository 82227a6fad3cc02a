"""Choose and configure the Keras 3 backend, then report which device it uses.

Call :func:`configure_backend` before anything imports keras: keras reads ``KERAS_BACKEND``
once, at import. ``CUDA_VISIBLE_DEVICES`` (set by SLURM for GPU jobs) is left untouched, so
a job sees exactly the GPUs it was given.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

BACKENDS = ("tensorflow", "jax", "torch")
#: Keras dtype policies of ``train.precision``: variables stay float32 in every one.
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def configure_backend(
    backend: str = "tensorflow",
    *,
    deterministic: bool = True,
    seed: int = 0,
    threads: int | None = None,
    precision: str = "float32",
) -> None:
    """Select ``backend``, quieten TensorFlow's C++ logs and seed every random generator.

    ``precision`` (:data:`PRECISIONS`) is the compute dtype of the models built afterwards;
    ``mixed_*`` keeps float32 variables and float32 model outputs (see
    :func:`sim2model.models.build_model`).

    ``deterministic`` turns on deterministic kernels (TensorFlow op determinism, XLA's
    deterministic GPU ops for jax, ``torch.use_deterministic_algorithms`` for torch).
    ``threads`` sizes TensorFlow's intra- and inter-op pools and torch's pool; jax takes its
    CPU threads from the process environment. Raises ``RuntimeError`` if keras was already
    imported with another backend.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if "keras" in sys.modules:
        active = sys.modules["keras"].backend.backend()
        if active != backend:
            raise RuntimeError(
                f"keras was already imported with the {active!r} backend; call "
                f"configure_backend({backend!r}) before anything imports keras"
            )
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if deterministic:
        _enable_determinism(backend)
    if threads is not None:
        _limit_threads(backend, threads)

    import keras

    keras.utils.set_random_seed(seed)
    keras.config.set_dtype_policy(precision)


def configure_from_settings(
    settings: Mapping[str, Any], *, seed: int, threads: int | None = None
) -> None:
    """:func:`configure_backend` from a workflow ``train`` config block."""
    configure_backend(
        settings["backend"],
        deterministic=settings["deterministic"],
        seed=seed,
        threads=threads,
        precision=settings.get("precision", "float32"),
    )


def _enable_determinism(backend: str) -> None:
    """Ask ``backend`` for deterministic kernels."""
    if backend == "tensorflow":
        os.environ["TF_DETERMINISTIC_OPS"] = "1"
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "jax":
        flag = "--xla_gpu_deterministic_ops=true"
        flags = os.environ.get("XLA_FLAGS", "")
        if flag not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} {flag}".strip()
    else:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        import torch

        torch.use_deterministic_algorithms(True)


def _limit_threads(backend: str, threads: int) -> None:
    """Size the backend's CPU thread pools to ``threads``."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    if backend == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # the runtime fixed its pools when it ran its first op
            log.warning(
                "TensorFlow already runs in this process with %d intra-op threads (0: one per "
                "core); keeping them, threads=%d applies to a fresh process",
                tf.config.threading.get_intra_op_parallelism_threads(),
                threads,
            )
    elif backend == "torch":
        import torch

        torch.set_num_threads(threads)


def describe_devices() -> dict[str, Any]:
    """Return the active backend, its GPUs and the device training runs on.

    Keys: ``backend``; ``gpus`` (names of the GPUs the backend sees); ``device`` (the first
    GPU, which Keras uses, or ``"CPU"``); ``cuda_visible_devices`` (as set, or ``None``).
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = [
            tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
            for gpu in tf.config.list_physical_devices("GPU")
        ]
    elif backend == "jax":
        import jax

        gpus = [device.device_kind for device in jax.devices() if device.platform == "gpu"]
    else:
        import torch

        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return {
        "backend": backend,
        "gpus": gpus,
        "device": f"GPU:0 ({gpus[0]})" if gpus else "CPU",
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }


def log_devices(logger: logging.Logger) -> dict[str, Any]:
    """Log one line naming the backend and device; return :func:`describe_devices`."""
    info = describe_devices()
    logger.info(
        "keras backend %s on %s (%d GPU(s) visible, CUDA_VISIBLE_DEVICES=%s)",
        info["backend"],
        info["device"],
        len(info["gpus"]),
        info["cuda_visible_devices"],
    )
    return info


def load_trained_model(
    path: str | os.PathLike, settings: Mapping[str, Any], *, seed: int, threads: int | None = None
) -> Any:
    """Configure the backend from ``settings`` (a ``train`` block), then load a saved model."""
    configure_from_settings(settings, seed=seed, threads=threads)
    from sim2model.train.fit import load_model

    return load_model(path)
