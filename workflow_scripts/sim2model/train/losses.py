"""Training loss of each dataset task, shared by the training stage and the workflow rules.

Free of third-party imports so the rule files can import it while building the DAG (the
training-curve rules label each run's loss axis with the loss its variant's task trains on).
"""

from __future__ import annotations

#: Training loss of each dataset task (see sim2model.train.fit.LOSS_METRICS).
LOSS_BY_TASK: dict[str, str] = {
    "regression": "mse",
    "classification": "sparse_categorical_crossentropy",
    "image2image": "mse",
}

#: Loss of a neural posterior (sim2model.models.posterior): the mean negative log posterior
#: density of the normalised targets, which the model computes itself.
POSTERIOR_LOSS = "negative_log_posterior"

#: Loss of the Galaxy10 reference notebook's recipe: binary cross-entropy of sigmoid outputs on
#: one-hot labels, summed over the classes (sim2model.studies.galaxy10.reference_sgd).
REFERENCE_LOSS = "summed_binary_crossentropy"
