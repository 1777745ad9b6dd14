"""Names derived from class names: ``Conv2DTranspose`` -> ``conv2d_transpose``."""

import re


def to_snake_case(name):
    """The snake_case form of a class name, as Keras derives default layer names.

    Args:
        name: A CamelCase (or already snake_case) string.

    Example:
        >>> to_snake_case("Conv2DTranspose"), to_snake_case("LSTMCell")
        ('conv2d_transpose', 'lstm_cell')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


__all__ = ["to_snake_case"]
