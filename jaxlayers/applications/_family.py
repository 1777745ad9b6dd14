"""What the DenseNet, EfficientNet(V2), ConvNeXt and NASNet modules share.

Keras builds DenseNet, ConvNeXt and NASNet for channels-last images only; they
refuse ``channels_first`` before building anything, as Keras does.
"""

from jaxlayers import backend
from jaxlayers.errors import ConfigError

ARGS_DOC = """
    Args:
        include_top: Whether to end with the classifier (pooling and the
            ``predictions`` Dense layer).
        weights: ``None`` (random), ``"imagenet"`` (Keras's pretrained file,
            downloaded once and hash-checked) or the path of a weights file.
        input_tensor: Optional symbolic tensor (``jl.Input``) to use as the image input.
        input_shape: ``(height, width, channels)``, each size at least 32;
            with the top and ImageNet weights, ``{default}``.
        pooling: Without the top: ``None`` (the 4-D features), ``"avg"`` or ``"max"``.
        classes: Number of classes of the top (1000 with ImageNet weights).
        classifier_activation: Activation of the top (``None`` gives logits;
            only ``None`` or ``"softmax"`` with pretrained weights).
        name: The model's name.{extra}

    Returns:
        A Functional ``jl.Model``.
"""

PREPROCESSING_DOC = """
        include_preprocessing: Whether the model scales raw ``[0, 255]`` pixels
            itself (then ``preprocess_input`` is the identity)."""


def channels_last_only(who):
    """Refuses ``image_data_format() == "channels_first"`` for a channels-last family."""
    if backend.image_data_format() == "channels_first":
        raise ConfigError(
            f"{who}: the model is built for channels-last images only. Received: "
            "image_data_format()='channels_first'. Call "
            "jl.backend.set_image_data_format('channels_last') first.")


def application_doc(summary, default_size, preprocessing=False):
    """The docstring of one application function."""
    default = f"({default_size}, {default_size}, 3)"
    extra = PREPROCESSING_DOC if preprocessing else ""
    return summary + "\n" + ARGS_DOC.format(default=default, extra=extra)


def preprocess_input_identity(x, data_format=None):
    """The identity: EfficientNet(V2), ConvNeXt and MobileNetV3 models scale raw pixels themselves.

    ``data_format`` is accepted for the common signature and ignored, as in Keras.

    Args:
        x: Input array.
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` reads
            ``jl.config.image_data_format()``.

    Example:
        >>> jl.applications.efficientnet.preprocess_input(np.array([0.0, 255.0])).tolist()
        [0.0, 255.0]
    """
    del data_format
    return x
