"""``keras.utils`` for jaxlayers: data helpers, datasets from arrays and folders, files, images.

A high-level package: it may use anything in jaxlayers, and nothing in
jaxlayers imports it (but ``jaxlayers/__init__.py``).  Names that have a
home lower down (seeding, names, the custom-object registry, the progress
bar, batch unpacking) are that home's objects, re-exported here.

Example:
    >>> jl.utils.to_categorical([1, 0], num_classes=2).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
"""

from jaxlayers.backend import (
    clear_session,
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
    set_random_seed,
    standardize_dtype,
)
from jaxlayers.core.serialization import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from jaxlayers.saving import deserialize_keras_object, serialize_keras_object
from jaxlayers.training.progbar import Progbar
from jaxlayers.utils import bounding_boxes
from jaxlayers.utils.array_datasets import split_dataset, timeseries_dataset_from_array
from jaxlayers.utils.batches import pack_x_y_sample_weight, unpack_x_y_sample_weight
from jaxlayers.utils.config import Config
from jaxlayers.utils.directory_datasets import (
    audio_dataset_from_directory,
    image_dataset_from_directory,
    text_dataset_from_directory,
)
from jaxlayers.utils.downloads import get_file
from jaxlayers.utils.feature_space import FeatureSpace
from jaxlayers.utils.images import array_to_img, img_to_array, load_img, save_img
from jaxlayers.utils.model_visualization import model_to_dot, plot_model
from jaxlayers.utils.numerical import normalize, to_categorical
from jaxlayers.utils.py_dataset import PyDataset, Sequence
from jaxlayers.utils.sequences import pad_sequences
from jaxlayers.utils.symbolic import get_source_inputs, is_keras_tensor

__all__ = [
    "to_categorical", "normalize", "pad_sequences", "set_random_seed", "split_dataset",
    "timeseries_dataset_from_array", "PyDataset", "Sequence", "Progbar", "get_file",
    "plot_model", "model_to_dot", "get_custom_objects", "custom_object_scope",
    "CustomObjectScope", "register_keras_serializable", "serialize_keras_object",
    "deserialize_keras_object", "get_registered_name", "get_registered_object",
    "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "get_source_inputs",
    "is_keras_tensor", "standardize_dtype", "clear_session", "img_to_array", "array_to_img",
    "load_img", "save_img", "image_dataset_from_directory", "text_dataset_from_directory",
    "enable_interactive_logging", "disable_interactive_logging",
    "is_interactive_logging_enabled", "audio_dataset_from_directory", "bounding_boxes",
    "Config", "FeatureSpace",
]
