"""GalSim study: two-stage denoise-then-regress (the reference's EDSR / RDN experiment).

One job per denoiser:

1. train the denoiser (EDSR or RDN at scale 1) noisy -> noiseless on its own simulated set,
   drawn with the regression variant's prior but its own seeds (so no image the regressor is
   tested on is ever seen by the denoiser); 10% of that set is its validation split;
2. report the PSNR of the variant's held-out test stamps before and after denoising;
3. train the regressor (the study's Xception settings) on the denoised train/val splits of the
   variant and score it on the denoised test split (predictions and metrics as the generic
   evaluation writes them), with the parameter counts of both stages.

Images keep the variant's normalisation (``norm.json``): the denoiser maps normalised noisy
stamps to normalised noiseless ones, so its output is the regressor's input as it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim2model.data.normalise import Normaliser
from sim2model.io.dataset import Dataset, read_dataset
from sim2model.train.job import start_training_job

log = logging.getLogger(__name__)

DENOISER_VAL_FRACTION = 0.1


def psnr(images: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-image PSNR in dB: ``10 log10(max(reference)**2 / MSE)`` over ``(N, H, W)`` stamps."""
    images, reference = np.asarray(images, np.float64), np.asarray(reference, np.float64)
    mse = np.mean((images - reference) ** 2, axis=(1, 2))
    peak = np.max(reference, axis=(1, 2))
    return 10.0 * np.log10(peak**2 / mse)


def _pairs(ds: Dataset, normaliser: Normaliser) -> tuple[np.ndarray, np.ndarray]:
    """Normalised noisy inputs and noiseless targets (first channel's normalisation)."""
    x = normaliser.transform_x(ds.x)
    clean = ds.extra["noiseless"][..., None].astype(np.float32)
    target = normaliser.transform_x(np.concatenate([clean, ds.x[..., 1:]], axis=-1))[..., :1]
    return x, target


def _denoise(net: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
    """Normalised stamps with their first channel replaced by the denoiser's output."""
    from sim2model.train.fit import predict

    return np.concatenate([predict(net, x, batch_size), x[..., 1:]], axis=-1)


def _counts(normaliser: Normaliser, x: np.ndarray) -> np.ndarray:
    """First channel of normalised stamps back in counts."""
    return x[..., 0] * normaliser.x_scale[0] + normaliser.x_shift[0]


def galsim_denoise(
    denoiser_data: str,
    train: str,
    val: str,
    test: str,
    norm: str,
    denoiser: str,
    denoiser_history: str,
    regressor: str,
    regressor_history: str,
    predictions: str,
    metrics: str,
    figure: str,
    *,
    denoiser_config: Mapping[str, Any],
    regressor_config: Mapping[str, Any],
    train_config: Mapping[str, Any],
    seed: int,
    pixel_scale: float,
    threads: int = 1,
) -> None:
    """Train a denoiser, then the regressor on denoised stamps; write both, scores and a figure.

    ``metrics`` (JSON) holds the generic evaluation's per-target scores plus ``psnr`` (mean PSNR
    of the test stamps before and after denoising, and the gain) and ``parameters`` of both
    stages.
    """
    job = start_training_job(train, val, norm, train_config, seed=seed, threads=threads)
    from sim2model.io.predictions import Predictions, write_predictions
    from sim2model.models import build_model
    from sim2model.plots.style import save_figure
    from sim2model.stages.evaluate import score
    from sim2model.stages.train import scaled_learning_rate
    from sim2model.studies.galsim.figures import reconstruction_figure
    from sim2model.train.fit import predict, train_model

    normaliser = job.normaliser  # a linear image scaling (GalsimStudy.check_denoisers)
    batch, rate = train_config["batch_size"], scaled_learning_rate(train_config)
    common = {"batch_size": batch, "learning_rate": rate, "seed": seed, "loss": "mse"}

    x, target = _pairs(read_dataset(denoiser_data), normaliser)
    n_val = max(1, int(round(DENOISER_VAL_FRACTION * len(x))))
    spec = dict(denoiser_config)
    epochs = spec.pop("epochs", train_config["epochs"])
    net = build_model(spec.pop("arch"), x.shape[1:], 1, **spec)
    train_model(
        net, x[n_val:], target[n_val:], x[:n_val], target[:n_val],
        model_path=denoiser, history_path=denoiser_history, epochs=epochs,
        patience=train_config["patience"], **common,
    )  # fmt: skip

    test_ds = read_dataset(test)
    inputs = {"train": job.x_train, "val": job.x_val, "test": normaliser.transform_x(test_ds.x)}
    denoised = {name: _denoise(net, stamps, batch) for name, stamps in inputs.items()}
    noiseless = test_ds.extra["noiseless"]
    before = psnr(test_ds.x[..., 0], noiseless)
    after = psnr(_counts(normaliser, denoised["test"]), noiseless)
    quality = {"noisy_db": float(before.mean()), "denoised_db": float(after.mean()),
               "gain_db": float(np.mean(after - before)), "n_images": len(before)}  # fmt: skip
    log.info("PSNR of the test stamps: %s", quality)

    spec = dict(regressor_config)
    reg = build_model(spec.pop("arch"), denoised["train"].shape[1:], job.y_train.shape[1], **spec)
    train_model(
        reg, denoised["train"], job.y_train, denoised["val"], job.y_val,
        model_path=regressor, history_path=regressor_history,
        epochs=train_config["epochs"], patience=train_config["patience"], **common,
    )  # fmt: skip
    y_pred = normaliser.inverse_y(predict(reg, denoised["test"], batch))
    names = list(test_ds.attrs["target_names"])
    write_predictions(
        predictions,
        Predictions(y_true=test_ds.y, y_pred=y_pred, target_names=names, meta=test_ds.meta,
                    units=list(test_ds.attrs.get("units", [""] * len(names)))),
    )  # fmt: skip
    _, summary = score(test_ds, y_pred)
    record = {
        "n_samples": len(test_ds),
        "data": str(test),
        "psnr": quality,
        "parameters": {"denoiser": net.count_params(), "regressor": reg.count_params()},
        **summary,
    }
    Path(metrics).write_text(json.dumps(record, indent=2) + "\n")

    k = min(4, len(test_ds))
    labels = [f"SNR {s:.0f}\n{a:.1f} → {b:.1f} dB" for s, a, b in
              zip(test_ds.meta["snr"][:k], before[:k], after[:k], strict=True)]  # fmt: skip
    save_figure(
        reconstruction_figure(
            test_ds.x[:k, :, :, 0], noiseless[:k], _counts(normaliser, denoised["test"][:k]),
            pixel_scale=pixel_scale, row_labels=labels,
            title=f"{net.name.upper()} on held-out stamps (rows: SNR, PSNR before → after)",
            name="Denoised",
        ),
        figure,
    )  # fmt: skip
