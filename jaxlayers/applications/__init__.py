"""``keras.applications`` for jaxlayers: the Keras image classification models.

Each application is a function returning a Functional model made of jaxlayers
layers, with Keras's layer names and weight order, so that
``model.set_weights(keras_model.get_weights())`` and Keras's weight files fit.
``weights`` is ``None`` (random), a weights file, or ``"imagenet"`` (Keras's
file, downloaded once into ``~/.keras/models`` and hash-checked). Each family
module has its ``preprocess_input`` and ``decode_predictions``.

Example:
    >>> from jaxlayers.applications import imagenet_utils
    >>> imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="tf").min()
    -1.0
"""

from jaxlayers.applications import imagenet_utils as imagenet_utils

__all__ = ["imagenet_utils"]
