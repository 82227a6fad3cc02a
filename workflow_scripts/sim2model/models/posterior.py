"""Amortized neural posterior: a summary network feeding a conditional normalizing flow.

The posterior ``p(theta | x)`` of a regression study's targets ``theta`` (in their normalised
units) given an image ``x`` is a BayesFlow :class:`~bayesflow.networks.CouplingFlow` (affine
coupling layers with ActNorm and random permutations, Ardizzone et al. 2020; Radev et al. 2020)
conditioned on ``summary_dim`` learned summaries of ``x``. The summary network is any
registered regression architecture (the study's Xception or VGG, or a smaller one) built with
``summary_dim`` outputs. Training minimises the negative log posterior density of the true
targets, ``-log q(theta | s(x))``, which is the forward KL divergence to the true posterior up to
a constant: a fully trained estimator is calibrated by construction.

Why BayesFlow: it is built on Keras 3 (the workflow's framework, any backend), so the flow is an
ordinary layer inside an ordinary :class:`keras.Model`. The posterior therefore trains with the
workflow's own :func:`~sim2model.train.fit.train_model` (checkpoints, resume after a kill, early
stopping, reproducible batch order) and saves as one ``.keras`` file. sbi and LtU-ILI are built
on PyTorch and would need a second training loop beside the Keras one.

Keras is imported inside functions and the model class is created on first use by
:func:`neural_posterior_class` (registered as ``sim2model>NeuralPosterior``), so importing this
module does not import keras before :func:`sim2model.train.backend.configure_backend`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

#: Options of the coupling flow (``models.<name>.flow``) and their defaults.
FLOW_DEFAULTS: dict[str, Any] = {"depth": 4, "transform": "affine", "hidden_units": [64, 64]}
#: Posterior draws per sample that evaluation takes by default.
DEFAULT_DRAWS = 200
#: Dimensions a coupling flow needs (it splits its input in two halves).
MIN_FLOW_DIMS = 2


@functools.cache
def neural_posterior_class() -> type[keras.Model]:
    """The :class:`NeuralPosterior` Keras model class (created and registered on first call)."""
    import bayesflow  # noqa: F401  (registers the flow's layers for loading)
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="sim2model")
    class NeuralPosterior(keras.Model):
        """``summary`` maps an image to summaries; ``flow`` is the conditional density.

        ``call(x)`` returns the summaries; the loss (:meth:`compute_loss`) is the mean negative
        log density of the targets under the flow conditioned on them, so compile it with
        ``loss=None``. :meth:`draw` samples the posterior.

        A coupling layer splits its input in two, so a single target is modelled jointly with
        one auxiliary standard-normal variable, drawn afresh for every training sample and
        dropped from the draws. Its known log density is added back to the loss, which therefore
        stays the negative log density of the target alone at the optimum (where the flow makes
        the auxiliary variable independent of the target, as it is).
        """

        def __init__(
            self,
            summary: keras.Model,
            flow: keras.Layer,
            n_targets: int,
            draws: int = DEFAULT_DRAWS,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            if draws < 2:
                raise ValueError(f"draws must be at least 2, got {draws}")
            self.summary, self.flow = summary, flow
            self.n_targets, self.draws = int(n_targets), int(draws)
            self.n_auxiliary = max(0, MIN_FLOW_DIMS - self.n_targets)
            self.auxiliary_seed = keras.random.SeedGenerator(0)
            summary_dim = int(summary.output.shape[-1])
            self.flow.build((None, self.n_targets + self.n_auxiliary), (None, summary_dim))
            self.built = True  # both parts are built: checkpoints can restore before fit

        def call(self, x: Any, training: bool = False) -> Any:
            return self.summary(x, training=training)

        def compute_loss(
            self,
            x: Any = None,
            y: Any = None,
            y_pred: Any = None,
            sample_weight: Any = None,
            training: bool = True,
        ) -> Any:
            theta = ops.cast(y, "float32")
            auxiliary_log_density = 0.0
            if self.n_auxiliary:
                shape = (ops.shape(theta)[0], self.n_auxiliary)
                auxiliary = keras.random.normal(shape, seed=self.auxiliary_seed)
                theta = ops.concatenate([theta, auxiliary], axis=-1)
                auxiliary_log_density = -0.5 * ops.sum(
                    ops.square(auxiliary) + np.log(2 * np.pi), axis=-1
                )
            log_density = (
                self.flow.log_prob(theta, conditions=ops.cast(y_pred, "float32"), training=training)
                - auxiliary_log_density
            )
            if sample_weight is None:
                loss = -ops.mean(log_density)
            else:
                weight = ops.cast(ops.reshape(sample_weight, (-1,)), "float32")
                loss = -ops.sum(log_density * weight) / ops.sum(weight)
            return loss + (ops.sum(self.losses) if self.losses else 0.0)

        def draw(self, x: np.ndarray, *, seed: int, batch_size: int) -> np.ndarray:
            """:attr:`draws` posterior draws for each sample of ``x``: ``(len(x), draws, T)``.

            The flow's latent draws come from ``np.random.default_rng(seed)`` batch by batch, so
            the draws are a pure function of the model, ``x``, ``seed`` and ``batch_size``.
            """
            rng, n_draws = np.random.default_rng(seed), self.draws
            out = np.empty((len(x), n_draws, self.n_targets), dtype=np.float32)
            for start in range(0, len(x), batch_size):
                rows = slice(start, start + batch_size)
                summaries = self.summary(x[rows], training=False)
                n = int(summaries.shape[0])
                conditions = ops.broadcast_to(
                    ops.expand_dims(ops.cast(summaries, "float32"), 1),
                    (n, n_draws, int(summaries.shape[-1])),
                )
                dims = self.n_targets + self.n_auxiliary
                latent = rng.standard_normal((n, n_draws, dims)).astype(np.float32)
                theta = self.flow(latent, conditions=conditions, inverse=True, training=False)
                out[rows] = ops.convert_to_numpy(theta)[..., : self.n_targets]
            return out

        def get_config(self) -> dict[str, Any]:
            return {
                **super().get_config(),
                "summary": keras.saving.serialize_keras_object(self.summary),
                "flow": keras.saving.serialize_keras_object(self.flow),
                "n_targets": self.n_targets,
                "draws": self.draws,
            }

        @classmethod
        def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
            config = dict(config)
            summary = keras.saving.deserialize_keras_object(config.pop("summary"))
            flow = keras.saving.deserialize_keras_object(config.pop("flow"))
            return cls(summary, flow, **config)

    return NeuralPosterior


def coupling_flow(
    *, depth: int = 4, transform: str = "affine", hidden_units: Sequence[int] = (64, 64)
) -> keras.Layer:
    """A BayesFlow coupling flow of ``depth`` coupling layers whose subnets are MLPs of
    ``hidden_units``; ``transform``: ``affine`` or ``spline`` (rational-quadratic)."""
    import bayesflow as bf
    import keras

    if depth < 1:
        raise ValueError(f"flow depth must be at least 1, got {depth}")
    if transform not in ("affine", "spline"):
        raise ValueError(f"flow transform must be 'affine' or 'spline', got {transform!r}")
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")  # densities in full precision under mixed policies
    try:
        return bf.networks.CouplingFlow(
            depth=depth,
            transform=transform,
            subnet_kwargs={"widths": [int(w) for w in hidden_units]},
        )
    finally:
        keras.config.set_dtype_policy(policy)


def wrap_posterior(
    summary: keras.Model, n_targets: int, *, draws: int = DEFAULT_DRAWS, **flow: Any
) -> keras.Model:
    """A :class:`NeuralPosterior` over ``n_targets`` conditioned on the outputs of ``summary``,
    drawing ``draws`` samples per observation; ``flow``: :func:`coupling_flow` options."""
    settings = {**FLOW_DEFAULTS, **flow}
    return neural_posterior_class()(
        summary, coupling_flow(**settings), n_targets, draws, name=f"posterior_{summary.name}"
    )


def is_posterior(net: Any) -> bool:
    """Whether ``net`` is a neural posterior (it samples with ``draw`` and owns its loss)."""
    return hasattr(net, "draw") and hasattr(net, "flow")
