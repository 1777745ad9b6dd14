"""Shape analysis for ``EinsumDense`` equations (kernel, bias and output shapes)."""

import re

from jaxlayers.errors import ConfigError, ShapeError

_EQUATION = re.compile(
    r"^(\.\.\.)?([a-zA-Z]+)(\.\.\.)?,([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)(\.\.\.)?$")


def check_equation(owner, equation):
    """``equation`` without spaces, checked to be of the ``EinsumDense`` form.

    Args:
        owner: How messages name the layer (``"EinsumDense 'e'"``).
        equation: ``"<input>,<kernel>-><output>"`` in letters, with an optional
            leading or trailing ``...`` on the input and the output.

    Returns:
        The equation with its spaces removed.

    Raises:
        ConfigError: ``equation`` is not a string of that form.

    Example:
        >>> check_equation("EinsumDense", "ab, bc -> ac")
        'ab,bc->ac'
    """
    if not isinstance(equation, str) or not _EQUATION.match(equation.replace(" ", "")):
        raise ConfigError(
            f"{owner}: `equation` must look like 'ab,bc->ac' (letters, optionally a "
            f"leading or trailing '...' on the input and output). Received: "
            f"equation={equation!r}."
        )
    return equation.replace(" ", "")


def _output_sizes(owner, equation, input_shape, partial_output_shape):
    """Reads the equation against ``input_shape`` the way Keras does.

    Returns ``(spec, sizes, given, lead, trail)``: the equation's groups, the
    input letters' sizes, the output letters' sizes as given (the first output
    axis is the input's batch axis unless the output starts with ``...``;
    ``None`` stays ``None``) and the input axes the ``...`` stands for.
    """
    spec = _EQUATION.match(equation).groups()
    in_left, in_spec, in_right, _, out_left, out_spec, out_right = spec
    elided = (in_left or in_right) is not None
    if elided != ((out_left or out_right) is not None):
        raise ConfigError(
            f"{owner}: the input and output of the equation must both use '...' or "
            f"neither. Received: equation={equation!r}."
        )
    n_elided = len(input_shape) - len(in_spec)
    if (not elided and n_elided != 0) or n_elided < 0:
        raise ShapeError(
            f"{owner}: the equation's input '{in_spec}' expects inputs of rank "
            f"{len(in_spec)}{' or more' if elided else ''}. Received: input_shape="
            f"{input_shape}."
        )
    if in_left:
        lead, core_in, trail = input_shape[:n_elided], input_shape[n_elided:], ()
    else:
        lead, core_in, trail = (), input_shape[:len(in_spec)], input_shape[len(in_spec):]
    sizes = dict(zip(in_spec, core_in))
    partial = list(partial_output_shape)
    # Unless the output starts with '...', its first letter is the batch axis and
    # takes the input's first size; output_shape lists the sizes of the other letters.
    named = out_spec if out_left else out_spec[1:]
    if len(partial) != len(named):
        raise ConfigError(
            f"{owner}: `output_shape` must give {len(named)} size(s), one for each of the "
            f"output letters '{named}'. Received: output_shape={tuple(partial_output_shape)}."
        )
    given = {} if out_left else {out_spec[0]: input_shape[0]}
    for letter, size in zip(named, partial):
        if size is not None and sizes.get(letter) is not None and sizes[letter] != size:
            raise ShapeError(
                f"{owner}: output axis '{letter}' has size {size} but the input axis with "
                f"the same letter has size {sizes[letter]}. Received: input_shape="
                f"{input_shape}, output_shape={tuple(partial_output_shape)}."
            )
        given[letter] = size
    return spec, sizes, given, lead, trail


def _full_shape(spec, out_sizes, lead, trail):
    out_left, out_spec = spec[4], spec[5]
    core_out = tuple(out_sizes[letter] for letter in out_spec)
    return (lead + core_out) if out_left else (core_out + trail)


def output_shape(owner, equation, input_shape, partial_output_shape):
    """The output shape as Keras computes it: sizes given as ``None`` stay unknown.

    Args:
        owner: How messages name the layer.
        equation: A checked equation (:func:`check_equation`).
        input_shape: The input's shape, batch axis first.
        partial_output_shape: The layer's ``output_shape``: the sizes of the
            output letters after the batch axis (all of them when the output
            starts with ``...``).

    Returns:
        The output shape tuple.

    Raises:
        ConfigError: ``partial_output_shape`` has the wrong number of sizes.
        ShapeError: The input's rank does not fit the equation, or a given size
            contradicts the input's.

    Example:
        >>> output_shape("EinsumDense", "abc,cd->abd", (None, 5, 3), (5, 4))
        (None, 5, 4)
    """
    spec, _, given, lead, trail = _output_sizes(owner, equation, tuple(input_shape),
                                                partial_output_shape)
    return _full_shape(spec, given, lead, trail)


def analyze(owner, equation, bias_axes, input_shape, partial_output_shape):
    """``(kernel_shape, bias_shape or None, full_output_shape)`` for ``input_shape``.

    Output sizes given as ``None`` take the size of the input axis with the
    same letter, so the kernel's shape is known wherever the input's is.

    Args:
        owner: How messages name the layer.
        equation: A checked equation (:func:`check_equation`).
        bias_axes: Output letters the bias spans (``"d"``), or ``None``.
        input_shape: The input's shape, batch axis first.
        partial_output_shape: As for :func:`output_shape`.

    Returns:
        The kernel shape, the bias shape (``None`` without ``bias_axes``) and
        the output shape.

    Raises:
        ConfigError: A kernel or bias letter is in neither the input nor the output.
        ShapeError: A kernel axis size is unknown, or as in :func:`output_shape`.

    Example:
        >>> analyze("EinsumDense", "abc,cd->abd", "d", (2, 5, 3), (5, 4))
        ((3, 4), (4,), (2, 5, 4))
    """
    spec, sizes, given, lead, trail = _output_sizes(owner, equation, input_shape,
                                                    partial_output_shape)
    _, in_spec, in_right, kernel_spec, _, out_spec, out_right = spec
    out_sizes = {letter: sizes.get(letter) if size is None else size
                 for letter, size in given.items()}
    kernel_shape = []
    for letter in kernel_spec:
        size = sizes.get(letter, out_sizes.get(letter))
        if letter not in sizes and letter not in out_sizes:
            raise ConfigError(
                f"{owner}: kernel letter '{letter}' appears in neither the input nor the "
                f"output of the equation. Received: equation={equation!r}."
            )
        if size is None:
            raise ShapeError(
                f"{owner}: the size of kernel axis '{letter}' must be known. Received: "
                f"input_shape={input_shape}, output_shape={tuple(partial_output_shape)}."
            )
        kernel_shape.append(int(size))
    full_output = _full_shape(spec, out_sizes, lead, trail)
    bias_shape = None
    if bias_axes:
        for letter in bias_axes:
            if letter not in out_spec:
                raise ConfigError(
                    f"{owner}: bias axis '{letter}' is not an output letter of the equation. "
                    f"Received: bias_axes={bias_axes!r}, equation={equation!r}."
                )
        first = min(out_spec.index(letter) for letter in bias_axes)
        bias_shape = [out_sizes[letter] if letter in bias_axes else 1
                      for letter in out_spec[first:]]
        if out_right or in_right:
            bias_shape += [1] * (len(input_shape) - len(in_spec))
        bias_shape = tuple(int(d) for d in bias_shape)
    return tuple(kernel_shape), bias_shape, tuple(full_output)


__all__ = ["check_equation", "analyze", "output_shape"]
