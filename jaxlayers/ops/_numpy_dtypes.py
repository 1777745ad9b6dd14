"""Keras's dtype rules for the numpy ops (their argument errors come from ``ops._args``)."""

import jax.numpy as jnp

from jaxlayers.ops._settings import floatx


def tensor(x):
    """``x`` as a JAX array (arrays and tracers pass through), like Keras's convert_to_tensor."""
    return jnp.asarray(x)


def dtype_name(x):
    return jnp.dtype(x.dtype).name


def is_int_or_bool(dtype):
    dtype = jnp.dtype(dtype)
    return jnp.issubdtype(dtype, jnp.integer) or dtype == jnp.bool_


def weak_float():
    """The float a Python float resolves to next to integers: floatx's width, as in Keras."""
    return jnp.dtype("float" + floatx()[-2:])


def inexact_dtype(*dtypes):
    """The dtype of ``dtypes`` promoted with a Python float.

    Floats keep their width (float16 stays float16); integers and booleans give a
    float of floatx's width.
    """
    dtype = jnp.result_type(*dtypes)
    return dtype if jnp.issubdtype(dtype, jnp.inexact) else weak_float()


def as_inexact(x):
    """``x`` cast to :func:`inexact_dtype` of its dtype."""
    x = tensor(x)
    return x.astype(inexact_dtype(x.dtype))


def int_to_floatx(x):
    """``x`` with integers and booleans cast to floatx (the rule of ``exp``, ``exp2``, ...)."""
    x = tensor(x)
    return x.astype(floatx()) if is_int_or_bool(x.dtype) else x


def named(op, name, doc, args=(), example=None):
    """``op`` under the Keras name ``name``, documented (for ops made by factories).

    Args:
        op: The function to name.
        name: Its Keras name under ``jaxlayers.ops.numpy``.
        doc: The one-line summary of its docstring.
        args: ``(name, description)`` pairs, its ``Args:`` section.
        example: ``(arguments, printed result)``: the docstring's example calls
            ``jl.ops.numpy.<name>(<arguments>)`` and shows the result.

    """
    sections = [doc]
    if args:
        sections.append("Args:\n" + "\n".join(f"    {arg}: {desc}" for arg, desc in args))
    if example:
        call, result = example
        sections.append(f"Example:\n    >>> jl.ops.numpy.{name}({call})\n    {result}")
    op.__name__ = op.__qualname__ = name
    op.__doc__ = "\n\n".join(sections)
    return op

