"""``keras.utils.FeatureSpace``: encodes a dict of structured-data columns as one vector.

Each named feature is a :class:`Feature` (a dtype, a preprocessing layer and an
output mode); ``crosses`` hash pairs (or tuples) of preprocessed features into
a fixed number of bins.  ``adapt`` learns each preprocessing layer's state
(vocabularies, means, bin boundaries) and ``__call__`` encodes a dict of
columns, concatenated (``output_mode='concat'``) or per feature (``'dict'``).

Everything runs on the host with NumPy data: string columns cannot live in
JAX arrays, so apply a FeatureSpace in the data pipeline, before ``fit``.
"""

import json
import os
import tempfile
import zipfile

import jax.numpy as jnp
import numpy as np

from jaxlayers import backend, layers
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DataError,
    DTypeError,
    SerializationError,
)

__all__ = ["FeatureSpace", "Feature", "Cross"]

_FEATURE_MODES = ("int", "one_hot", "float")
_CROSS_MODES = ("int", "one_hot")
_SPACE_MODES = ("concat", "dict")
_DTYPES = ("float32", "int32", "string")


def _one_of(who, name, value, allowed):
    if value not in allowed:
        raise ConfigError(
            f"{who}: `{name}` must be one of {', '.join(map(repr, allowed))}. "
            f"Received: {name}={value!r}."
        )
    return value


def _positive_int(who, name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{who}: `{name}` must be a positive int. Received: {name}={value!r}.")
    return int(value)


def _has_given_vocabulary(layer):
    """Whether a lookup layer was built with its vocabulary (so adapt must leave it)."""
    if not isinstance(layer, (layers.IntegerLookup, layers.StringLookup)):
        return False
    config = layer.get_config()
    return config.get("vocabulary") is not None and config.get("has_input_vocabulary", True)


def _feature(kind, dtype, output_mode, name, layer_cls, **kwargs):
    """A built-in feature; its layer is named after the feature (or ``kind`` numbered)."""
    name = name or backend.unique_name(kind)
    return Feature(dtype, layer_cls(name=f"{name}_preprocessor", **kwargs), output_mode)


class Cross:
    """A feature cross: the named features hashed together into ``crossing_dim`` bins.

    Args:
        feature_names: Names of the crossed features (at least two).
        crossing_dim: Positive int, the number of hash bins.
        output_mode: ``'one_hot'`` (a multi-hot vector of ``crossing_dim``) or
            ``'int'`` (the bin index).

    Example:
        >>> cross = Cross(("color", "size"), crossing_dim=8)
        >>> cross.name, cross.get_config()["crossing_dim"]
        ('color_X_size', 8)
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        who = "FeatureSpace.cross"
        if isinstance(feature_names, str) or len(tuple(feature_names)) < 2:
            raise ConfigError(
                f"{who}: `feature_names` must be a tuple of at least two feature names. "
                f"Received: feature_names={feature_names!r}."
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = _positive_int(who, "crossing_dim", crossing_dim)
        self.output_mode = _one_of(who, "output_mode", output_mode, _CROSS_MODES)

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One feature: its input ``dtype``, the layer that preprocesses it, its encoding.

    Args:
        dtype: ``'float32'``, ``'int32'`` or ``'string'``: how input columns are read.
        preprocessor: A jaxlayers layer (or its serialized config).
        output_mode: ``'one_hot'`` (the preprocessor returns integer indices,
            encoded as a multi-hot vector), ``'int'`` (indices as they are) or
            ``'float'`` (the preprocessor's float output as it is).

    Example:
        >>> feature = Feature("float32", jl.layers.Normalization(), "float")
        >>> feature.dtype, type(feature.preprocessor).__name__
        ('float32', 'Normalization')
    """

    def __init__(self, dtype, preprocessor, output_mode):
        who = "FeatureSpace.feature"
        self.dtype = _one_of(who, "dtype", dtype, _DTYPES)
        self.output_mode = _one_of(who, "output_mode", output_mode, _FEATURE_MODES)
        if isinstance(preprocessor, dict):
            from jaxlayers.saving import deserialize_keras_object

            preprocessor = deserialize_keras_object(preprocessor)
        if not callable(preprocessor):
            raise ConfigTypeError(
                f"{who}: `preprocessor` must be a layer (a callable). "
                f"Received: preprocessor={preprocessor!r}."
            )
        self.preprocessor = preprocessor

    def get_config(self):
        from jaxlayers.saving import serialize_keras_object

        return {"dtype": self.dtype, "preprocessor": serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _serialize(obj):
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def _deserialize(value, cls):
    if isinstance(value, dict) and value.get("class_name") == cls.__name__:
        return cls.from_config(value["config"])
    return value


def _cardinality(preprocessor):
    """Size of the index space a preprocessor maps into; ``None`` when unknown."""
    if isinstance(preprocessor, (layers.IntegerLookup, layers.StringLookup)):
        return preprocessor.vocabulary_size()
    if isinstance(preprocessor, layers.CategoryEncoding):
        return preprocessor.num_tokens
    if isinstance(preprocessor, (layers.Hashing, layers.HashedCrossing)):
        return preprocessor.num_bins
    if isinstance(preprocessor, layers.Discretization):
        if preprocessor.bin_boundaries is not None:
            return len(preprocessor.bin_boundaries) + 1
        return preprocessor.num_bins
    return None


class FeatureSpace:
    """Preprocesses and encodes a dict of structured-data features in one step.

    Args:
        features: Dict from feature name to its spec: a type name
            (``'float'``, ``'float_rescaled'``, ``'float_normalized'``,
            ``'float_discretized'``, ``'integer_categorical'``,
            ``'string_categorical'``, ``'integer_hashed'``,
            ``'string_hashed'``, with default arguments) or a :class:`Feature`
            from one of the ``FeatureSpace.<type>(...)`` constructors.
        output_mode: ``'concat'`` (one float vector per sample) or ``'dict'``
            (each encoded feature under its name).
        crosses: Tuples of feature names (crossed into ``crossing_dim`` bins)
            or ``FeatureSpace.cross(...)`` objects.
        crossing_dim: Default number of bins of a cross.
        hashing_dim: Default number of bins of ``'*_hashed'`` features.
        num_discretization_bins: Default number of bins of
            ``'float_discretized'`` features.
        name: Name of the FeatureSpace.

    Encoded features are ordered by feature name, then by cross name.  The
    layers are in ``preprocessors`` (by feature name) and ``crossers`` (by
    cross name).  ``get_inputs`` and ``get_encoded_features`` give the
    same encoding as a Functional graph when every feature is numeric (a
    ``jl.Input`` holds no strings).  ``save`` writes a ``.keras`` file that
    ``FeatureSpace.load`` reads back, adapted state included.

    Example:
        >>> fs = jl.utils.FeatureSpace(
        ...     {"x": "float_normalized", "c": "string_categorical"})
        >>> fs.adapt({"x": [0.0, 2.0], "c": ["a", "b"]})
        >>> np.asarray(fs({"x": [0.0, 2.0], "c": ["b", "z"]})).tolist()
        [[0.0, 1.0, 0.0, -1.0], [1.0, 0.0, 0.0, 1.0]]
    """

    # ------------------------------------------------------------------ feature constructors
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        return _feature("float", "float32", "float", name, layers.Identity)

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        return _feature("float_rescaled", "float32", "float", name, layers.Rescaling,
                        scale=scale, offset=offset)

    @classmethod
    def float_normalized(cls, name=None):
        return _feature("float_normalized", "float32", "float", name, layers.Normalization,
                        axis=-1)

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        # Given boundaries fix the bins; `num_bins` only sizes what adapt learns.
        return _feature("float_discretized", "float32", output_mode, name,
                        layers.Discretization, bin_boundaries=bin_boundaries,
                        num_bins=None if bin_boundaries is not None else num_bins)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        return _feature("integer_categorical", "int32", output_mode, name,
                        layers.IntegerLookup, max_tokens=max_tokens,
                        num_oov_indices=num_oov_indices)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        return _feature("string_categorical", "string", output_mode, name, layers.StringLookup,
                        max_tokens=max_tokens, num_oov_indices=num_oov_indices)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        return _feature("string_hashed", "string", output_mode, name, layers.Hashing,
                        num_bins=num_bins)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        return _feature("integer_hashed", "int32", output_mode, name, layers.Hashing,
                        num_bins=num_bins)

    # ------------------------------------------------------------------ construction
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None):
        self.name = name or backend.unique_name("feature_space")
        who = self._who
        if not isinstance(features, dict) or not features:
            raise ConfigError(
                f"{who}: `features` must be a non-empty dict from feature name to feature "
                f"type. Received: features={features!r}."
            )
        self.output_mode = _one_of(who, "output_mode", output_mode, _SPACE_MODES)
        self.crossing_dim = (None if crossing_dim is None
                             else _positive_int(who, "crossing_dim", crossing_dim))
        self.hashing_dim = _positive_int(who, "hashing_dim", hashing_dim)
        self.num_discretization_bins = _positive_int(
            who, "num_discretization_bins", num_discretization_bins)
        self.features = {key: self._standardize_feature(key, spec)
                         for key, spec in features.items()}
        self.crosses = [self._standardize_cross(c) for c in crosses or ()]
        self.crosses_by_name = {c.name: c for c in self.crosses}
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.crossers = {c.name: layers.HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.one_hot_encoders = {}
        self._is_adapted = False
        self._checked = False
        self._inputs = None
        self._encoded = None

    @property
    def _who(self):
        return f"FeatureSpace '{self.name}'"

    _BY_NAME = {
        "float": lambda fs, n: fs.float(name=n),
        "float_rescaled": lambda fs, n: fs.float_rescaled(name=n),
        "float_normalized": lambda fs, n: fs.float_normalized(name=n),
        "float_discretized": lambda fs, n: fs.float_discretized(fs.num_discretization_bins,
                                                                name=n),
        "integer_categorical": lambda fs, n: fs.integer_categorical(name=n),
        "string_categorical": lambda fs, n: fs.string_categorical(name=n),
        "integer_hashed": lambda fs, n: fs.integer_hashed(fs.hashing_dim, name=n),
        "string_hashed": lambda fs, n: fs.string_hashed(fs.hashing_dim, name=n),
    }

    def _standardize_feature(self, key, spec):
        spec = _deserialize(spec, Feature)
        if isinstance(spec, Feature):
            return spec
        if isinstance(spec, str) and spec in self._BY_NAME:
            return self._BY_NAME[spec](self, key)
        raise ConfigError(
            f"{self._who}: feature '{key}' must be a FeatureSpace.<type>(...) feature or one "
            f"of {', '.join(map(repr, self._BY_NAME))}. Received: {spec!r}."
        )

    def _standardize_cross(self, cross):
        cross = _deserialize(cross, Cross)
        if not isinstance(cross, Cross):
            if self.crossing_dim is None:
                raise ConfigError(
                    f"{self._who}: `crosses` given as names need `crossing_dim` (the number "
                    f"of hash bins). Received: crossing_dim=None."
                )
            cross = Cross(cross, self.crossing_dim)
        unknown = [n for n in cross.feature_names if n not in self.features]
        if unknown:
            raise ConfigError(
                f"{self._who}: every feature in `crosses` must be a key of `features`. "
                f"Received unknown features {unknown} in cross {cross.feature_names!r}."
            )
        return cross

    # ------------------------------------------------------------------ adapt
    def _adaptable(self):
        names = []
        for key, layer in self.preprocessors.items():
            if isinstance(layer, layers.Normalization) and layer.input_mean is not None:
                continue
            if _has_given_vocabulary(layer):
                continue
            if isinstance(layer, layers.Discretization) and layer.num_bins is None:
                continue
            if hasattr(layer, "adapt"):
                names.append(key)
        return names

    def adapt(self, dataset):
        """Learns every adaptable preprocessor's state from ``dataset``.

        Args:
            dataset: A dict from feature name to a column (array or list of
                values), or an iterable of such dicts (batches, or single
                samples of scalars), such as a ``tf.data.Dataset`` of dicts.
        """
        if isinstance(dataset, dict):
            batches = [dataset]
        elif hasattr(dataset, "__iter__") and not isinstance(dataset, (str, bytes)):
            batches = list(dataset)
        else:
            batches = None
        if not batches or not all(isinstance(b, dict) for b in batches):
            raise DataError(
                f"{self._who}: adapt() accepts a dict of columns or an iterable of dict "
                f"batches. Received: dataset of type {type(dataset).__name__}."
            )
        for key in self._adaptable():
            if any(key not in b for b in batches):
                raise DataError(f"{self._who}: adapt() data has no column for feature "
                                f"'{key}'. Received keys: {sorted(batches[0])}.")
            columns = [self._column(key, b[key]) for b in batches]
            if all(c.ndim == 0 for c in columns):
                columns = [np.stack(columns)]
            columns = [c.reshape(-1, 1) if c.ndim <= 1 else c for c in columns]
            self.preprocessors[key].adapt(columns)
        self._is_adapted = True
        self._check_encodings()

    # ------------------------------------------------------------------ call
    def _column(self, key, value):
        dtype = self.features[key].dtype
        value = np.asarray(value)
        if dtype == "string":
            if value.dtype.kind not in "USO":
                raise DTypeError(
                    f"{self._who}: feature '{key}' is a string feature. Received values of "
                    f"dtype {value.dtype}."
                )
            return value
        if value.dtype.kind not in "biuf":
            raise DTypeError(
                f"{self._who}: feature '{key}' is a {dtype} feature. Received values of "
                f"dtype {value.dtype}."
            )
        return value.astype(dtype)

    def _check_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise DataError(
                    f"{self._who}: call adapt(dataset) before using the FeatureSpace (its "
                    f"features {self._adaptable()} learn their state from data)."
                )
            self._is_adapted = True
        if not self._checked:
            self._check_encodings()

    def _specs(self):
        """``(name, spec, preprocessor)`` of every encoded output, in output order."""
        for key in sorted(self.features):
            yield key, self.features[key], self.preprocessors[key]
        for key in sorted(self.crosses_by_name):
            yield key, self.crosses_by_name[key], self.crossers[key]

    def _check_encodings(self):
        """Creates the one-hot encoders; rejects encodings that cannot work, before any data."""
        for key, spec, layer in self._specs():
            if spec.output_mode == "one_hot":
                depth = _cardinality(layer)
                if depth is None:
                    raise ConfigError(
                        f"{self._who}: feature '{key}' has output_mode='one_hot' but its "
                        f"preprocessor {type(layer).__name__} has no known number of indices. "
                        f"Use output_mode='int'."
                    )
                self.one_hot_encoders[key] = layers.CategoryEncoding(
                    num_tokens=depth, output_mode="multi_hot")
            elif spec.output_mode == "int" and self.output_mode == "concat":
                raise ConfigError(
                    f"{self._who}: cannot concatenate feature '{key}': output_mode='int' "
                    f"leaves it unencoded. Use output_mode='one_hot' for it, or "
                    f"FeatureSpace(output_mode='dict')."
                )
        self._checked = True

    def _encode(self, columns, finish):
        """Preprocesses, crosses and one-hot encodes ``columns`` (arrays or jl.Input tensors)."""
        outputs = {k: finish(self.preprocessors[k](c)) for k, c in columns.items()}
        for cross in self.crosses:
            parts = [outputs[k] for k in cross.feature_names]
            for key, part in zip(cross.feature_names, parts):
                if np.dtype(part.dtype).kind not in "iuUSO":
                    raise DTypeError(
                        f"{self._who}: cross '{cross.name}' hashes integer or string "
                        f"features, but feature '{key}' is preprocessed to {part.dtype}. Cross "
                        f"a categorical, hashed or discretized feature instead."
                    )
            outputs[cross.name] = finish(self.crossers[cross.name](parts))
        encoded = {}
        for key, _spec, _layer in self._specs():
            value = outputs[key]
            encoder = self.one_hot_encoders.get(key)
            if encoder is not None:
                if np.dtype(value.dtype).kind not in "iu":
                    raise DTypeError(
                        f"{self._who}: feature '{key}' has output_mode='one_hot', so its "
                        f"preprocessor must return integer indices. It returned {value.dtype}."
                    )
                value = finish(encoder(value))
            encoded[key] = value
        return encoded

    def get_inputs(self):
        """A dict of ``jl.Input`` tensors of shape ``(batch, 1)``, one per feature.

        Only for numeric features: a ``jl.Input`` holds a JAX array, never strings.
        """
        strings = [k for k, f in self.features.items() if f.dtype == "string"]
        if strings:
            raise DTypeError(
                f"{self._who}: string features {strings} cannot be jl.Input tensors (JAX "
                f"arrays hold no strings). Apply the FeatureSpace to your data before the "
                f"model, and give the model an Input of the encoded size instead."
            )
        if self._inputs is None:
            from jaxlayers.layers import Input

            self._inputs = {k: Input(shape=(1,), dtype=f.dtype, name=k)
                            for k, f in self.features.items()}
        return self._inputs

    def get_encoded_features(self):
        """The encoded ``get_inputs()`` tensors: a model's inputs-to-features graph."""
        self._check_adapted()
        if self._encoded is None:
            encoded = self._encode(self.get_inputs(), lambda x: x)
            if self.output_mode == "concat":
                parts = list(encoded.values())
                encoded = (layers.Concatenate(axis=-1)(parts) if len(parts) > 1
                           else parts[0])
            self._encoded = encoded
        return self._encoded

    def __call__(self, data):
        """Encodes ``data``, a dict from feature name to a column (or a single value)."""
        self._check_adapted()
        if not isinstance(data, dict):
            raise DataError(
                f"{self._who}: call it on a dict from feature name to column. Received: "
                f"data of type {type(data).__name__}."
            )
        missing = [k for k in self.features if k not in data]
        if missing:
            raise DataError(f"{self._who}: missing input columns {missing}. Received keys: "
                            f"{sorted(data)}.")
        columns = {k: self._column(k, data[k]) for k in self.features}
        single = any(c.ndim == 0 for c in columns.values())
        columns = {k: c.reshape(-1, 1) if c.ndim <= 1 else c for k, c in columns.items()}
        encoded = self._encode(columns, np.asarray)
        if self.output_mode == "concat":
            out = jnp.concatenate([jnp.asarray(v, "float32") for v in encoded.values()], -1)
            return out[0] if single else out
        return {k: jnp.asarray(v[0] if single and v.ndim == 2 else v)
                for k, v in encoded.items()}

    # ------------------------------------------------------------------ config
    def get_config(self):
        return {
            "features": {k: _serialize(f) for k, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_serialize(c) for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------------ files
    def save(self, filepath):
        """Writes the FeatureSpace, adapted state included, to a ``.keras`` zip file.

        Reload it with :meth:`FeatureSpace.load`.  The file holds the config
        and one jaxlayers model file per adapted preprocessor.
        """
        path = _keras_path(self._who, filepath)
        adapted = [k for k in self._adaptable() if self._is_adapted]
        meta = {"class_name": "FeatureSpace", "config": self.get_config(),
                "adapted": self._is_adapted, "adapted_preprocessors": adapted}
        from jaxlayers.saving import save_model

        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path, "w") as z:
            z.writestr(_META, json.dumps(meta))
            for i, key in enumerate(adapted):
                part = os.path.join(tmp, f"{i}.keras")
                save_model(self.preprocessors[key], part)
                z.write(part, f"preprocessors/{i}.keras")

    @classmethod
    def load(cls, filepath):
        """The FeatureSpace a :meth:`save` call wrote to ``filepath``."""
        path = _keras_path("FeatureSpace.load", filepath)
        from jaxlayers.saving import load_model

        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as z:
            if _META not in z.namelist():
                raise SerializationError(
                    f"FeatureSpace.load: {path} is not a FeatureSpace file (it has no "
                    f"{_META}). Received: filepath={filepath!r}."
                )
            meta = json.loads(z.read(_META))
            space = cls.from_config(meta["config"])
            for i, key in enumerate(meta["adapted_preprocessors"]):
                layer = load_model(z.extract(f"preprocessors/{i}.keras", tmp))
                space.preprocessors[key] = space.features[key].preprocessor = layer
        space._is_adapted = meta["adapted"]
        return space


_META = "feature_space.json"


def _keras_path(who, filepath):
    path = os.fspath(filepath)
    if not str(path).endswith(".keras"):
        raise SerializationError(
            f"{who}: a FeatureSpace file name must end in '.keras'. Received: "
            f"filepath={filepath!r}."
        )
    return path
