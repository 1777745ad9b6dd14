"""Type aliases for the public API's annotations.

Parameters and state are nested dicts of arrays (pytrees); inputs may be
arrays, NumPy arrays or nested structures of them.  The aliases document what
a function takes; they are not checked at run time.
"""

from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

Array = jax.Array
ArrayLike = jax.Array | np.ndarray | np.generic | float | int | bool
PRNGKey = jax.Array
PyTree = Any
Params = Mapping[str, Any]
State = Mapping[str, Any]
Shape = tuple[int | None, ...]
DType = str | np.dtype | type | None
Logs = dict[str, float]

__all__ = ["Array", "ArrayLike", "PRNGKey", "PyTree", "Params", "State", "Shape", "DType", "Logs"]
