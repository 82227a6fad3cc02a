"""Model registry: every architecture the generic train rule builds, by its ``arch`` name.

:data:`ARCHITECTURES` is the one list of architecture names: the config checks, the search and
:func:`build_model` all read it.

Builders import keras inside their bodies, so importing this package does not import keras
before :func:`sim2model.train.backend.configure_backend` has chosen the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim2model.models.cnn_classifier import build_cnn_classifier
from sim2model.models.denoisers import build_edsr, build_rdn
from sim2model.models.edgeconv import build_dgcnn
from sim2model.models.mlp import build_mlp
from sim2model.models.posterior import DEFAULT_DRAWS, neural_posterior_class, wrap_posterior
from sim2model.models.unet import build_unet
from sim2model.models.vgg import build_vgg
from sim2model.models.xception import build_xception

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Architecture:
    """A registered network: its builder and the tasks it can be trained for."""

    build: Callable[..., keras.Model]
    tasks: tuple[str, ...]


def build_posterior(
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    summary: Mapping[str, Any],
    summary_dim: int | None = None,
    flow: Mapping[str, Any] | None = None,
    draws: int = DEFAULT_DRAWS,
) -> keras.Model:
    """A neural posterior (:mod:`sim2model.models.posterior`) over ``n_outputs`` targets.

    ``summary``: the summary network's builder options (``arch``, a registered regression
    architecture, and its keywords), built by :func:`build_model` with ``summary_dim`` outputs
    (default: twice the targets). ``flow``: options of
    :func:`~sim2model.models.posterior.coupling_flow`. ``draws``: posterior draws per sample
    that evaluation takes (it does not change the network).
    """
    options = dict(summary)
    if "arch" not in options:
        raise ValueError("summary needs an 'arch' (a registered regression architecture)")
    net = build_model(
        options.pop("arch"), input_shape, int(summary_dim or 2 * n_outputs), **options
    )
    return wrap_posterior(net, n_outputs, draws=draws, **(flow or {}))


ARCHITECTURES: dict[str, Architecture] = {
    "cnn_classifier": Architecture(build_cnn_classifier, ("classification",)),
    "dgcnn": Architecture(build_dgcnn, ("classification",)),
    "edsr": Architecture(build_edsr, ("image2image",)),
    "mlp": Architecture(build_mlp, ("classification",)),
    "posterior": Architecture(build_posterior, ("regression",)),
    "rdn": Architecture(build_rdn, ("image2image",)),
    "unet": Architecture(build_unet, ("image2image",)),
    "vgg": Architecture(build_vgg, ("regression",)),
    "xception": Architecture(build_xception, ("regression", "classification")),
}


def build_model(
    name: str, input_shape: Sequence[int], n_outputs: int, **kwargs: Any
) -> keras.Model:
    """Build model ``name`` for inputs of ``input_shape`` (no batch axis) and ``n_outputs``.

    Under a mixed-precision dtype policy the model's outputs are cast back to float32, so losses
    and predictions keep full precision; otherwise the builder's model is returned as it is.
    """
    try:
        builder = ARCHITECTURES[name].build
    except KeyError:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ValueError(f"unknown model {name!r}; known models: {known}") from None
    model = builder(input_shape, n_outputs, **kwargs)
    import keras

    if keras.config.dtype_policy().compute_dtype == "float32":
        return model
    outputs = keras.layers.Activation("linear", dtype="float32", name="float32_output")(
        model.output
    )
    return keras.Model(model.inputs, outputs, name=model.name)


def register_custom_layers() -> None:
    """Make the project's own layers known to Keras, so saved models using them load."""
    from sim2model.models.edgeconv import get_edgeconv_layer_class

    get_edgeconv_layer_class()
    neural_posterior_class()
