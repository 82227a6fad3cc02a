"""GalSim study: the reference notebook's conditional autoencoder, trained in three steps.

One job per dataset variant trains encoder, decoder and autoencoder
(:mod:`sim2model.studies.galsim.autoencoder_training`) and writes

* ``model``: the encoder with outputs on the normaliser's target scale, so the generic
  evaluation stage scores it (RMSE table, Cramér–Rao comparison) like the Xception network;
* ``decoder``: the decoder, five parameters in [0, 1] -> noiseless stamp in counts (its [0, 1]
  output times the image scale below);
* ``history``: one row per epoch of the three steps;
* ``figure``: noisy / noiseless / decoder reconstruction / residual of test stamps.

Targets: the parameters scaled to [0, 1] by the training split's range (the normaliser's),
and the noiseless stamp divided by the training split's brightest noiseless pixel, both clipped
to [0, 1] as the sigmoid outputs require.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim2model.io.dataset import Dataset, read_dataset
from sim2model.train.job import start_training_job

log = logging.getLogger(__name__)

#: Model settings that steer the training, not the builder.
TRAINING_KEYS = ("arch", "variants", "repeats", "step_epochs", "patience")


def unit_targets(y: np.ndarray, noiseless: np.ndarray, image_scale: float) -> dict[str, np.ndarray]:
    """``params`` (from normalised targets ``y``) and ``image`` (``noiseless`` stamps divided by
    ``image_scale``) targets in [0, 1]."""
    params = (y + 1.0) / 2.0
    image = noiseless[..., None] / np.float32(image_scale)
    return {
        "params": np.clip(params, 0.0, 1.0).astype(np.float32),
        "image": np.clip(image, 0.0, 1.0).astype(np.float32),
    }


def galsim_autoencoder(
    train: str,
    val: str,
    test: str,
    norm: str,
    model: str,
    decoder: str,
    history: str,
    figure: str,
    *,
    model_config: Mapping[str, Any],
    train_config: Mapping[str, Any],
    seed: int,
    pixel_scale: float,
    threads: int = 1,
    n_examples: int = 4,
) -> None:
    """Train the conditional autoencoder on a variant and write its encoder, decoder, history
    and reconstruction figure.

    ``model_config`` holds the builder options (``filters``, ``dense_units``, ``dropout``) and
    ``step_epochs`` (maximum epochs of the encoder, decoder and joint steps); ``train_config``
    the shared ``batch_size`` and ``learning_rate``.
    """
    job = start_training_job(
        train, val, norm, train_config, seed=seed, threads=threads, extra=("noiseless",)
    )
    from sim2model.plots.style import save_figure
    from sim2model.stages.train import scaled_learning_rate
    from sim2model.studies.galsim.autoencoder import (
        build_conditional_autoencoder,
        decoder_in_counts,
        encoder_in_normalised_units,
    )
    from sim2model.studies.galsim.autoencoder_training import train_autoencoder
    from sim2model.studies.galsim.figures import reconstruction_figure

    image_scale = float(job.train.extra["noiseless"].max())
    options = {k: v for k, v in model_config.items() if k not in TRAINING_KEYS}
    encoder, decoder_net, autoencoder = build_conditional_autoencoder(
        job.x_train.shape[1:], job.y_train.shape[1], **options
    )
    log.info(
        "conditional autoencoder: encoder %d, decoder %d parameters",
        encoder.count_params(), decoder_net.count_params(),
    )  # fmt: skip
    frame = train_autoencoder(
        autoencoder,
        encoder,
        decoder_net,
        job.x_train,
        unit_targets(job.y_train, job.train.extra["noiseless"], image_scale),
        job.x_val,
        unit_targets(job.y_val, job.val.extra["noiseless"], image_scale),
        epochs=model_config["step_epochs"],
        batch_size=train_config["batch_size"],
        learning_rate=scaled_learning_rate(train_config),
        patience=model_config.get("patience", 5),
    )
    encoder_in_normalised_units(encoder).save(model)
    decoder_in_counts(decoder_net, image_scale).save(decoder)
    frame.to_csv(history, index=False, float_format="%.6g")

    test_ds = read_dataset(test)
    idx = np.arange(min(n_examples, len(test_ds)))
    noisy = job.normaliser.transform_x(test_ds.x[idx])
    recon = np.asarray(autoencoder.predict(noisy, verbose=0)["image"])[..., 0] * image_scale
    save_figure(
        reconstruction_figure(
            test_ds.x[idx, :, :, 0], test_ds.extra["noiseless"][idx], recon,
            pixel_scale=pixel_scale, row_labels=_snr_labels(test_ds, idx),
            title="Conditional autoencoder: decoder(encoder(noisy))",
        ),
        figure,
    )  # fmt: skip


def _snr_labels(ds: Dataset, idx: Sequence[int]) -> list[str]:
    return [f"SNR {ds.meta['snr'][i]:.0f}" for i in idx]
