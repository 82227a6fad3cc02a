"""Model registry: build a network by its configured ``arch`` name.

Builders import keras inside their bodies, so importing this package does not import keras
before :func:`sim2model.train.backend.configure_backend` has chosen the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sim2model.models.cnn_classifier import build_cnn_classifier
from sim2model.models.denoisers import build_edsr, build_rdn
from sim2model.models.edgeconv import build_dgcnn
from sim2model.models.mlp import build_mlp
from sim2model.models.unet import build_unet
from sim2model.models.vgg import build_vgg
from sim2model.models.xception import build_xception

if TYPE_CHECKING:
    import keras

MODEL_BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "cnn_classifier": build_cnn_classifier,
    "dgcnn": build_dgcnn,
    "edsr": build_edsr,
    "mlp": build_mlp,
    "rdn": build_rdn,
    "unet": build_unet,
    "vgg": build_vgg,
    "xception": build_xception,
}


def build_model(
    name: str, input_shape: Sequence[int], n_outputs: int, **kwargs: Any
) -> keras.Model:
    """Build model ``name`` for inputs of ``input_shape`` (no batch axis) and ``n_outputs``.

    Under a mixed-precision dtype policy the model's outputs are cast back to float32, so losses
    and predictions keep full precision; otherwise the builder's model is returned as it is.
    """
    try:
        builder = MODEL_BUILDERS[name]
    except KeyError:
        known = ", ".join(sorted(MODEL_BUILDERS))
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
