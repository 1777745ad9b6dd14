"""Core layers: Input, Dense, EinsumDense, Activation, Embedding, Masking, Lambda, Identity."""

import ast
import builtins
import dis
import inspect
import textwrap
import types

import jax
import jax.numpy as jnp
import numpy as np

from jaxlayers import activations, regularizers
from jaxlayers.core import args as _args
from jaxlayers.core import dtype_policy as dtype_policy_lib
from jaxlayers.core import serialization
from jaxlayers.core.graph import SymbolicTensor
from jaxlayers.core.graph_ops import SymbolicOp as SymbolicOp  # its former home
from jaxlayers.core.input_spec import InputSpec
from jaxlayers.core.layer import Layer
from jaxlayers.core.serialization import register_builtin
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DataError,
    SerializationError,
    ShapeError,
    UnsafeLoadError,
)
from jaxlayers.layers import einsum as einsum_lib
from jaxlayers.layers._weight_args import WeightArgs


# --------------------------------------------------------------------------- Input
@register_builtin("layers")
class InputLayer(Layer):
    """The entry point of a Functional model: holds a symbolic input tensor.

    Prefer :func:`Input`, which returns the symbolic tensor directly.

    Args:
        shape: Shape without the batch axis (``None`` for unknown sizes).
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input; ``None`` means floatx.
        sparse: Must be false or ``None`` (sparse inputs are not supported).
        batch_shape: Full shape with the batch axis (instead of ``shape``).
        input_tensor: An existing symbolic tensor to wrap.
        optional: Whether the input may be ``None``.
        name: Optional name of the layer.
        ragged: Must be false or ``None`` (ragged inputs are not supported).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> layer = jl.layers.InputLayer(shape=(3,))
        >>> layer.output.shape
        (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None,
                 ragged=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse or ragged:
            raise ConfigError(
                f"InputLayer '{self.name}': sparse and ragged inputs are not supported "
                f"by jaxlayers. Received: sparse={sparse!r}, ragged={ragged!r}."
            )
        who = _args.owner(self)
        batch_size = _args.optional(_args.positive_int, who, "batch_size", batch_size)
        arg, given = "batch_shape", batch_shape
        if input_tensor is not None:
            batch_shape = input_tensor.shape
        if batch_shape is None:
            if shape is None:
                raise ConfigError(
                    f"{who}: pass `shape` (without the batch axis) or `batch_shape`. "
                    "Received: shape=None, batch_shape=None."
                )
            arg, given = "shape", shape
            if isinstance(shape, (int, np.integer)):
                shape = (shape,)
            batch_shape = (batch_size,) + (tuple(shape) if isinstance(shape, (list, tuple))
                                           else (shape,))
        for d in batch_shape:
            if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))
                                  or d < 0):
                raise ConfigError(
                    f"{who}: `{arg}` entries must be non-negative ints or None. "
                    f"Received: {arg}={given!r}."
                )
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.optional = optional
        self.output = SymbolicTensor(self.batch_shape, self.compute_dtype
                                     if dtype is None else dtype_policy_lib.get(dtype).name
                                     if dtype_policy_lib.get(dtype).name not in
                                     ("mixed_float16", "mixed_bfloat16") else "float32",
                                     name=self.name)
        self.output.node = None
        self.output.input_layer = self
        self.built = True

    @property
    def input_dtype_name(self):
        return self.output.dtype.name

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self.output.dtype.name,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
          name=None, tensor=None, optional=False, ragged=None):
    """A symbolic input for a Functional model (``jl.Model(inputs, outputs)``).

    Args:
        shape: Shape without the batch axis, e.g. ``(784,)``; ``None`` entries
            for sizes unknown until call time.
        batch_size: Optional fixed batch size.
        dtype: Input dtype (default ``floatx()``).
        batch_shape: Full shape including the batch axis (instead of ``shape``).
        name: Input name (keys dict inputs of a model).

    Example:
        >>> x = jl.Input(shape=(784,))
        >>> x.shape
        (None, 784)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, input_tensor=tensor, optional=optional,
                       name=name, ragged=ragged)
    return layer.output


# --------------------------------------------------------------------------- Dense
@register_builtin("layers")
class Dense(WeightArgs, Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
        units: Positive int, size of the last axis of the output.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer, bias_initializer: Initializers (default
            ``'glorot_uniform'`` and ``'zeros'``).
        kernel_regularizer, bias_regularizer: Optional penalties added to the losses.
        kernel_constraint, bias_constraint: Optional projections applied after
            each optimizer update.

    Input shape: ``(..., input_dim)``.  Output shape: ``(..., units)``.
    Weights: ``kernel`` ``(input_dim, units)``, ``bias`` ``(units,)``.

    Example:
        >>> layer = jl.layers.Dense(4, name="dense")
        >>> params, state = layer.init(jax.random.key(0), jnp.zeros((2, 3)))
        >>> jax.tree.map(jnp.shape, params)
        {'dense': {'bias': (4,), 'kernel': (3, 4)}}
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = _args.positive_int(_args.owner(self), "units", units)
        self.activation = activations.get(activation)
        self.use_bias = _args.boolean(_args.owner(self), "use_bias", use_bias)
        self._set_weight_args("kernel", kernel_initializer, kernel_regularizer,
                              kernel_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ShapeError(
                f"Dense '{self.name}': the last axis of the input must be known to create "
                f"the kernel. Received: input_shape={tuple(input_shape)}."
            )
        self.kernel = self._add_weight_from_args("kernel", (input_dim, self.units))
        if self.use_bias:
            self.bias = self._add_weight_from_args("bias", (self.units,))
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        outputs = jnp.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        })
        config.update(self._weight_args_config("kernel", "bias"))
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config


@register_builtin("layers")
class EinsumDense(WeightArgs, Layer):
    """A dense layer whose contraction is any ``einsum`` equation.

    Args:
        equation: ``"<input>,<kernel>-><output>"``, e.g. ``"abc,cd->abd"``; a
            leading ``...`` stands for any number of batch axes.
        output_shape: Sizes of the output axes after the first (or after the
            ``...``); ``None`` entries take the input's size for that letter.
        activation: Activation name or callable.
        bias_axes: Letters of the output axes the bias spans (``None``: no bias).

    Weights: ``kernel`` (shape from the equation), ``bias`` when ``bias_axes`` is set.

    Example:
        >>> layer = jl.layers.EinsumDense("abc,cd->abd", output_shape=(None, 8),
        ...                               bias_axes="d")
        >>> layer.compute_output_shape((2, 5, 3))  # as Keras: a size given as None stays None
        (2, None, 8)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = f"EinsumDense '{self.name}'"
        self.equation = einsum_lib.check_equation(owner, equation)
        self.partial_output_shape = _args.sizes(
            owner, "output_shape", (None,) if output_shape is None else output_shape)
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self._set_weight_args("kernel", kernel_initializer, kernel_regularizer,
                              kernel_constraint)
        self._set_weight_args("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.full_output_shape = None

    def build(self, input_shape):
        owner = f"EinsumDense '{self.name}'"
        kernel_shape, bias_shape, full_output = einsum_lib.analyze(
            owner, self.equation, self.bias_axes, tuple(input_shape),
            self.partial_output_shape)
        self.full_output_shape = full_output
        self.kernel = self._add_weight_from_args("kernel", kernel_shape)
        if bias_shape is not None:
            self.bias = self._add_weight_from_args("bias", bias_shape)
        else:
            self.bias = None

    def call(self, inputs):
        out = jnp.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        return einsum_lib.output_shape(_args.owner(self), self.equation, input_shape,
                                       self.partial_output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
        })
        config.update(self._weight_args_config("kernel", "bias"))
        # Keras lists EinsumDense's activity_regularizer even when it is None.
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config


# --------------------------------------------------------------------------- simple layers
@register_builtin("layers")
class Activation(Layer):
    """Applies an activation function: ``Activation('relu')(x)``.

    Args:
        activation: Activation name (``'relu'``, ``'softmax'``, ...) or callable.

    Example:
        >>> jl.layers.Activation("relu")(jnp.array([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


@register_builtin("layers")
class Identity(Layer):
    """Returns its inputs unchanged (masks pass through).

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> jl.layers.Identity()(np.array([1.0, 2.0]))
        Array([1., 2.], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@register_builtin("layers")
class Embedding(WeightArgs, Layer):
    """Maps integer ids to dense vectors: ``embeddings[inputs]``.

    Args:
        input_dim: Vocabulary size (ids are in ``[0, input_dim)``).  An eager
            call with an id outside that range is a ``DataError``; under
            ``jit`` the result is Keras's (a NaN row past the end, ``-1`` wraps).
        output_dim: Size of each vector.
        embeddings_initializer: Default ``'uniform'`` (uniform in [-0.05, 0.05]).
        mask_zero: Id 0 is padding: the layer outputs a mask ``inputs != 0``.

    Input shape: ``(batch, ...)`` ints.  Output shape: ``(batch, ..., output_dim)``.

    Example:
        >>> layer = jl.layers.Embedding(10, 4, mask_zero=True)
        >>> layer.compute_mask(jnp.array([[3, 0]]))
        Array([[ True, False]], dtype=bool)
    """

    # An eager call refuses ids outside [0, input_dim) (Keras would read garbage).
    checks_values_eagerly = True

    # Indices are integers; complex ones would be cast.
    supports_complex_inputs = False

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, activity_regularizer=None, **kwargs):
        if weights is not None and not isinstance(weights, list):
            weights = [weights]
        super().__init__(activity_regularizer=activity_regularizer, weights=weights, **kwargs)
        owner = f"Embedding '{self.name}'"
        self.input_dim = _args.positive_int(owner, "input_dim", input_dim)
        self.output_dim = _args.positive_int(owner, "output_dim", output_dim)
        self._set_weight_args("embeddings", embeddings_initializer, embeddings_regularizer,
                              embeddings_constraint)
        self.mask_zero = _args.boolean(owner, "mask_zero", mask_zero)
        self.supports_masking = self.mask_zero

    def build(self, input_shape=None):
        self.embeddings = self._add_weight_from_args("embeddings",
                                                     (self.input_dim, self.output_dim))

    def call(self, inputs):
        if not jnp.issubdtype(inputs.dtype, jnp.integer):
            inputs = inputs.astype("int32")
        if not isinstance(inputs, jax.core.Tracer):
            self._check_indices(inputs)
        return jnp.take(self.embeddings, inputs, axis=0)

    def _check_indices(self, indices):
        """Eager calls see the values: an index outside ``[0, input_dim)`` is an error.

        Traced calls (``apply`` under ``jit``) cannot raise on values; there the
        numbers are Keras's on JAX (a NaN row past the end, ``-1`` the last row).
        """
        indices = np.asarray(indices)
        bad = (indices < 0) | (indices >= self.input_dim)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(
                f"{_args.owner(self)}: indices must be in [0, {self.input_dim}) "
                f"(input_dim={self.input_dim}). Received: index {indices[where]} at "
                f"position {where}."
            )

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "mask_zero": self.mask_zero,
        })
        config.update(self._weight_args_config("embeddings"))
        return config


@register_builtin("layers")
class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value`` (and zeroes them).

    Input shape: ``(batch, timesteps, features)``.  Output mask: ``(batch, timesteps)``.

    Args:
        mask_value: Float; timesteps whose features all equal it are masked.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:
        >>> x = np.array([[[1.0], [0.0], [2.0]]])
        >>> jl.layers.Masking().compute_mask(x)
        Array([[ True, False,  True]], dtype=bool)
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        # NaN never equals itself, so a NaN mask value would mask nothing.
        _args.finite_float(_args.owner(self), "mask_value", mask_value)
        self.mask_value = mask_value
        self.supports_masking = True

    def call(self, inputs):
        keep = jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * keep.astype(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


@register_builtin("layers")
class Lambda(Layer):
    """Wraps a function of the inputs as a layer: ``Lambda(lambda x: x ** 2)``.

    Args:
        function: Called as ``function(inputs, **arguments)``.
        output_shape: Optional output shape (or a function of the input shape);
            by default found with ``jax.eval_shape``.
        mask: Optional output mask, or a function ``(inputs, mask) -> mask``.
        arguments: Extra keyword arguments for ``function``.

    Saving a ``Lambda`` stores the function's own source text (saving is
    refused when it cannot be isolated, e.g. a function made by ``eval``).
    Loading it runs that text, so it is refused unless the caller passes
    ``safe_mode=False``; each global name the text uses is taken from
    ``custom_objects``, else from the module calling ``load_model``, else
    ``jnp``/``jax``/``np``, and a name found nowhere is a ``SerializationError``
    naming it.  Functions registered with ``jl.saving.register_serializable``
    are saved by name and load safely.

    Example:
        >>> square = jl.layers.Lambda(lambda x: x ** 2)
        >>> square(np.array([1.0, 2.0, 3.0])).tolist()
        [1.0, 4.0, 9.0]
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ConfigTypeError(
                f"Lambda '{self.name}': `function` must be callable. "
                f"Received: function={function!r}."
            )
        self.function = function
        if output_shape is not None and not callable(output_shape):
            _args.sizes(_args.owner(self), "output_shape", output_shape)
        if arguments is not None and not isinstance(arguments, dict):
            raise ConfigTypeError(
                f"Lambda '{self.name}': `arguments` must be a dict of keyword arguments for "
                f"`function`. Received: arguments={arguments!r}."
            )
        self._output_shape = output_shape
        self._mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None):
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        if callable(self._mask):
            return self._mask(inputs, mask)
        return self._mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (tuple(input_shape)[0],) + tuple(self._output_shape)

    def get_config(self):
        config = super().get_config()
        config["function"] = _serialize_function(self.function, self.name)
        # Like Keras, output_shape and mask appear only when they were given.
        out = self._output_shape
        if out is not None:
            config["output_shape"] = (_serialize_function(out, self.name) if callable(out)
                                      else list(out))
        if callable(self._mask):
            config["mask"] = _serialize_function(self._mask, self.name)
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["function"] = _deserialize_function(config["function"], config.get("name"))
        if isinstance(config.get("output_shape"), dict):
            config["output_shape"] = _deserialize_function(config["output_shape"],
                                                           config.get("name"))
        if isinstance(config.get("mask"), dict):
            config["mask"] = _deserialize_function(config["mask"], config.get("name"))
        return super().from_config(config)


def _serialize_function(fn, layer_name):
    registered = serialization.get_registered_name(fn)
    if serialization.get_registered_object(registered) is fn:
        return {"class_name": "function", "config": {"registered_name": registered}}
    builtin = activations.serialize(fn) if _is_builtin_activation(fn) else None
    if builtin is not None:
        return {"class_name": "activation", "config": {"name": builtin}}
    source = _function_source(fn)
    if source is None:
        raise SerializationError(
            f"Lambda '{layer_name}': cannot isolate the source text of {fn!r} (it is not "
            "a Python function read from a source file, or its file no longer matches "
            "it). Define the function with `def` in a module, or register it with "
            "jl.saving.register_serializable, then save again."
        )
    return {"class_name": "python_source", "config": {"source": source,
                                                      "name": getattr(fn, "__name__", "")}}


def _is_builtin_activation(fn):
    try:
        return activations.get(getattr(fn, "__name__", None)) is fn
    except Exception:  # noqa: BLE001 - any failure means "not a builtin"
        return False


def _function_source(fn):
    """The source text of ``fn`` alone, or ``None`` when it cannot be isolated.

    A ``def`` is its whole block.  A lambda is found in its file's syntax tree:
    among the lambdas starting on its first line with its argument names, the
    innermost whose span holds every instruction of its code (Python 3.11+
    records the columns of each instruction), so two lambdas on one line each
    get their own text.  Without columns, several different candidates are
    ambiguous, and ``None`` is returned.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    try:
        if fn.__name__ != "<lambda>":
            return textwrap.dedent(inspect.getsource(fn))
        lines, _ = inspect.findsource(fn)
    except (OSError, TypeError):
        return None
    source = "".join(lines)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    argnames = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    candidates = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Lambda) and node.lineno == code.co_firstlineno
        and [a.arg for a in node.args.args + node.args.kwonlyargs] == argnames
    ]
    spans = _instruction_spans(code)
    if spans:
        candidates = [n for n in candidates if all(_holds(n, span) for span in spans)]
        candidates.sort(key=lambda n: (n.end_lineno - n.lineno, n.end_col_offset - n.col_offset))
        candidates = candidates[:1]
    texts = {ast.get_source_segment(source, node) for node in candidates}
    if len(texts) != 1:
        return None
    text = texts.pop()
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        text = f"({text})"  # a lambda split over lines inside brackets
    return text


def _instruction_spans(code):
    """``(line, col, end_line, end_col)`` of each instruction with a real source span."""
    if not hasattr(code, "co_positions"):
        return []
    return [(line, col, end_line, end_col)
            for line, end_line, col, end_col in code.co_positions()
            if None not in (line, end_line, col, end_col) and (line, col) != (end_line, end_col)]


def _holds(node, span):
    line, col, end_line, end_col = span
    return ((node.lineno, node.col_offset) <= (line, col)
            and (end_line, end_col) <= (node.end_lineno, node.end_col_offset))


# Names a saved function may use without the loading code defining them.
_SOURCE_DEFAULTS = {"jnp": jnp, "jax": jax, "np": np}
_GLOBAL_LOADS = ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS")
_GLOBAL_STORES = ("STORE_NAME", "STORE_GLOBAL")


def _global_names(code):
    """``(loaded, stored)``: the global names ``code`` and its nested code objects use."""
    loaded, stored = set(), set()
    for ins in dis.get_instructions(code):
        if ins.opname in _GLOBAL_LOADS:
            loaded.add(ins.argval)
        elif ins.opname in _GLOBAL_STORES:
            stored.add(ins.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            inner_loaded, inner_stored = _global_names(const)
            loaded |= inner_loaded
            stored |= inner_stored
    return loaded, stored


def _loading_environment():
    """The globals of the code that asked for the load: the first frame outside jaxlayers."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if module != "jaxlayers" and not module.startswith("jaxlayers."):
                return frame.f_globals
            frame = frame.f_back
        return {}
    finally:
        del frame


def _source_namespace(code, layer_name):
    """Globals for running saved source: each name it needs, or a named error.

    A name is looked up in ``custom_objects``, then in the globals of the module
    that called ``load_model``/``from_config``, then among ``jnp``, ``jax``,
    ``np``; builtins need nothing.  Only the needed names are copied in.
    """
    loaded, stored = _global_names(code)
    environment = _loading_environment()
    namespace, missing = {"__builtins__": builtins}, []
    for name in sorted(loaded - stored):
        custom = serialization.get_registered_object(name)
        if custom is not None:
            namespace[name] = custom
        elif name in environment:
            namespace[name] = environment[name]
        elif name in _SOURCE_DEFAULTS:
            namespace[name] = _SOURCE_DEFAULTS[name]
        elif not hasattr(builtins, name):
            missing.append(name)
    if missing:
        raise SerializationError(
            f"Lambda '{layer_name}': its source needs names that are not defined where it "
            f"is loaded: {missing}. Define them in the module that loads it, or pass them "
            f"as custom_objects={{{missing[0]!r}: ...}}."
        )
    return namespace


def _deserialize_function(config, layer_name):
    kind = config.get("class_name")
    inner = config.get("config", {})
    if kind == "function":
        fn = serialization.get_registered_object(inner["registered_name"])
        if fn is None:
            raise UnsafeLoadError(
                f"Lambda '{layer_name}': function {inner['registered_name']!r} is not "
                "registered. Register it with jl.saving.register_serializable or pass it "
                "in custom_objects."
            )
        return fn
    if kind == "activation":
        return activations.get(inner["name"])
    if kind == "python_source":
        if serialization.in_safe_mode():
            raise UnsafeLoadError(
                f"Lambda '{layer_name}' holds Python source code; loading it would run "
                "that code. If you trust the file, load with safe_mode=False "
                "(jl.saving.load_model(path, safe_mode=False)), or register the function "
                "with jl.saving.register_serializable and save again."
            )
        source = inner.get("source")
        if not isinstance(source, str):
            raise UnsafeLoadError(
                f"Lambda '{layer_name}': the saved function has no source text to rebuild."
            )
        is_def = source.lstrip().startswith(("def ", "@"))
        code = compile(source, f"<Lambda {layer_name}>", "exec" if is_def else "eval")
        namespace = _source_namespace(code, layer_name)
        if is_def:
            exec(code, namespace)  # noqa: S102
            return namespace[inner.get("name")]
        return eval(code, namespace)  # noqa: S307
    raise UnsafeLoadError(f"Lambda '{layer_name}': unknown function record {config!r}.")


__all__ = [
    "InputLayer", "Input", "Dense", "EinsumDense", "Activation", "Identity", "Embedding",
    "Masking", "Lambda",
]
