"""Class weighting for imbalanced classification: each class counts as much as the others.

``train.class_weight: balanced`` weights every sample of class ``c`` by ``n / (k n_c)`` (n
training samples, k classes present, n_c of class c; scikit-learn's ``balanced`` rule), in the
training loss and in the validation loss that early stopping follows. Without it a network
trained on 1 class against 3 (turbulence's MHD-vs-CR task) can reach a low loss by answering the
majority class for every sample.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

log = logging.getLogger(__name__)

CLASS_WEIGHTS = ("none", "balanced")


def balanced_sample_weights(
    y_train: np.ndarray, y_val: np.ndarray, class_names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample weights of the training and validation labels, from the training counts.

    A validation class absent from training gets weight 1.
    """
    classes = np.unique(y_train)
    balanced = compute_class_weight("balanced", classes=classes, y=y_train)
    weights = dict(zip(classes.tolist(), balanced.tolist(), strict=True))
    log.info(
        "class weights (balanced): %s",
        ", ".join(f"{class_names[c]} {w:.3g}" for c, w in weights.items()),
    )
    lookup = np.vectorize(lambda label: weights.get(int(label), 1.0), otypes=[np.float32])
    return lookup(y_train), lookup(y_val)
