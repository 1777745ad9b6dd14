"""Reading Keras 3 ``.weights.h5`` files (also ``model.weights.h5`` in a ``.keras``).

A weights file holds ``layers/<name>/vars/<i>`` groups, where
``<name>`` is the snake-cased class name made unique in the order of the
model's layers (``dense``, ``dense_1``, ...), nested layers as sub-groups
(``layers/lstm/cell/vars``) and nested models as ``layers/<name>/layers/...``.
Each layer's arrays are gathered in Keras's weight order and given to
``layer.set_weights`` after checking their number and shapes.  Only data
stored in the HDF5 file itself is read: soft and external links and datasets
with external or virtual storage are refused, so a weights file cannot pull
other files into a model.  Each HDF5 object is visited once (hard links can
form cycles and shared chains), each dataset must store the bytes it declares
(unwritten chunks read as fill values), and compressed datasets count against
the file's decompression budget and are refused inside a ``.keras``.  h5py is
an optional dependency, imported only here.
"""

import contextlib
import math
import warnings

import numpy as np

from jaxlayers.saving import archive
from jaxlayers.saving.archive import WeightsMismatchError
from jaxlayers.saving.keras_layout import (
    MODEL_CLASSES,
    UNSAVED_PREFIXES,
    graph_layers,
    layer_groups,
    unique_name,
)

# Keras sublayer attributes, in the order their weights appear in ``layer.weights``
# (HDF5 lists groups alphabetically, which is not Keras's weight order).
_ATTENTION_CHILDREN = ("query_dense", "_query_dense", "key_dense", "_key_dense", "_gate_dense",
                       "value_dense", "_value_dense", "output_dense", "_output_dense")
_CHILD_ORDER = {
    "MultiHeadAttention": _ATTENTION_CHILDREN,
    "GroupedQueryAttention": _ATTENTION_CHILDREN,
    "GroupQueryAttention": _ATTENTION_CHILDREN,
    "Bidirectional": ("forward_layer", "backward_layer"),
}
# Keras state that jaxlayers keeps elsewhere (random layers take a key instead).
_SKIPPED_CHILDREN = ("seed_generator",)


def _import_h5py():
    try:
        import h5py
    except ImportError as e:
        raise ImportError(
            "Reading Keras '.h5' weights needs the optional dependency h5py: "
            "pip install h5py"
        ) from e
    return h5py


def _layout_from_config(model, config):
    """``[(h5 group name, layer, class name, sub-layout or None)]`` in Keras's order."""
    entries = config["config"]["layers"]
    sequential = config["class_name"] == "Sequential"
    by_name = {layer.name: layer for layer in graph_layers(model)}
    counts, layout = {}, []
    for entry in entries:
        class_name = entry["class_name"]
        if (sequential and class_name == "InputLayer") or class_name == "SymbolicOp":
            continue  # not in Keras's ``model.layers``, so not in the weights file
        layer = by_name[entry["config"]["name"]]
        sub = _layout_from_config(layer, entry) if class_name in MODEL_CLASSES else None
        layout.append((unique_name(class_name, counts), layer, class_name, sub))
    return layout


def layout_from_model(model):
    """``[(h5 group name, layer, class name, sub-layout or None)]`` of a graph model.

    Args:
        model: A Functional or Sequential model.

    Example:
        >>> [group for group, *_ in layout_from_model(jl.Sequential([jl.layers.Dense(2)]))]
        ['dense']
    """
    counts, layout = {}, []
    for layer in graph_layers(model):
        class_name = type(layer).__name__
        sub = layout_from_model(layer) if class_name in MODEL_CLASSES else None
        layout.append((unique_name(class_name, counts), layer, class_name, sub))
    return layout


class _H5Walk:
    """What reading one HDF5 weights file may touch, and what it has touched so far.

    Every object is reached once (hard links can make groups a cycle, or a chain
    of shared groups with 2**n paths); every dataset must store the bytes it
    declares (a chunked dataset never written reads as gigabytes of fill values
    from a few bytes), except compressed ones, which are charged to the file's
    decompression budget and are refused inside a ``.keras`` member, where Keras
    never compresses.
    """

    # HDF5 filters that only compress or check (deflate, shuffle, fletcher32, lzf).
    FILTERS = (1, 2, 3, 32000)

    def __init__(self, h5py, source, size, budget, nested_in=None):
        self.h5py, self.source, self.size = h5py, source, size
        self.budget, self.nested_in = budget, nested_in
        self.seen, self.stored = set(), 0

    def visit(self, node, where):
        if node.id in self.seen:
            raise archive.ArchiveError(
                f"{self.source}: {where}: the HDF5 object '{node.name}' is reached twice (hard "
                "links make a "
                "cycle or share a group); every object of a weights file is read once. The "
                "file is corrupt or was edited."
            )
        self.seen.add(node.id)
        if isinstance(node, self.h5py.Dataset):
            self._check_dataset(node, where)

    def _check_dataset(self, dataset, where):
        name = dataset.name
        if dataset.external or dataset.is_virtual:
            raise archive.ArchiveError(
                f"{self.source}: {where}: the dataset '{name}' keeps its data outside the HDF5 "
                "file "
                "(external or virtual storage); only data stored in the file itself is read."
            )
        if dataset.dtype.kind not in "biuf" and not _is_bfloat16(dataset):
            raise archive.ArchiveError(f"{self.source}: {where}: {name} is not a numeric array.")
        nbytes = math.prod(dataset.shape or ()) * dataset.dtype.itemsize
        stored = dataset.id.get_storage_size()
        self.stored += stored
        if self.stored > self.size:
            raise archive.ArchiveError(
                f"{self.source}: {where}: the datasets declare {self.stored} stored bytes, more "
                "than the "
                f"{self.size} bytes of the file. The file is truncated or corrupt."
            )
        plist = dataset.id.get_create_plist()
        filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
        if not filters:
            if stored < nbytes:
                raise archive.ArchiveError(
                    f"{self.source}: {where}: the dataset '{name}' stores {stored} bytes for "
                    f"{nbytes} bytes "
                    f"of data (shape {dataset.shape}, dtype {dataset.dtype}); parts never "
                    "written would read as fill values. The file is truncated or corrupt."
                )
            return
        if self.nested_in is not None:
            raise archive.ArchiveError(
                f"{self.source}: {where}: the dataset '{name}' is compressed inside the archive "
                "member "
                f"{self.nested_in!r}, where Keras stores arrays uncompressed; compression "
                "nested in compression is refused (a decompression bomb)."
            )
        unknown = [f for f in filters if f not in self.FILTERS]
        if unknown:
            raise archive.ArchiveError(
                f"{self.source}: {where}: the dataset '{name}' uses HDF5 filter(s) {unknown}; "
                "only deflate, "
                "shuffle, fletcher32 and lzf are read."
            )
        self.budget.charge(nbytes, f"the dataset '{name}'")


def _is_bfloat16(dataset):
    """Keras stores bfloat16 as 2-byte opaque data marked with a ``dtype`` attribute."""
    mark = dataset.attrs.get("dtype")
    mark = mark.decode() if isinstance(mark, bytes) else mark
    return dataset.dtype.kind == "V" and dataset.dtype.itemsize == 2 and mark == "bfloat16"


def read_array(dataset):
    """A dataset's values as a native-byte-order NumPy array, bfloat16 restored.

    Keras writes bfloat16 weights as 2-byte opaque HDF5 data marked with a
    ``dtype="bfloat16"`` attribute; they come back as ``ml_dtypes.bfloat16``.
    Checks on the dataset (links, storage) are the caller's, done when it was
    reached (see :func:`assign_h5`).

    Args:
        dataset: An open ``h5py.Dataset`` of any shape; numeric, or bfloat16
            stored the Keras way.

    Returns:
        A NumPy array of the dataset's shape (``()`` for a scalar).

    Example:
        >>> import h5py, ml_dtypes
        >>> with h5py.File("arrays.h5", "w") as f:
        ...     f["big_endian"] = np.arange(6, dtype=">f4").reshape(2, 3)
        ...     f["bf16"] = np.array([1.0, 2.5], ml_dtypes.bfloat16).view("V2")
        ...     f["bf16"].attrs["dtype"] = "bfloat16"
        ...     a, b = read_array(f["big_endian"]), read_array(f["bf16"])
        >>> a.shape, a.dtype.str, b.dtype.name, b.tolist()
        ((2, 3), '<f4', 'bfloat16', [1.0, 2.5])
    """
    if _is_bfloat16(dataset):
        import ml_dtypes

        raw = np.asarray(dataset[()])
        return np.frombuffer(raw.tobytes(), dtype=ml_dtypes.bfloat16).reshape(raw.shape)
    return archive.native(np.asarray(dataset[()]))


def _child(group, name, where, walk):
    """``group[name]`` (or ``None``), refusing links and storage outside the file.

    HDF5 can make a name point into another file (external and soft links) and
    a dataset read its bytes from other files (external or virtual storage): a
    hostile weights file could thus read any file on the machine into a model.
    Only plain hard links to in-file data are followed, each object once.
    """
    if not isinstance(group, walk.h5py.Group):
        return None
    link = group.get(name, getlink=True)
    if link is None:
        return None
    if not isinstance(link, walk.h5py.HardLink):
        raise archive.ArchiveError(
            f"{walk.source}: {where}: '{name}' is an HDF5 {type(link).__name__}; only data "
            "stored in the "
            "weights file itself is read (links to other files or paths are refused)."
        )
    node = group[name]
    walk.visit(node, where)
    return node


def _flatten_group(group, class_name, where, walk):
    """A layer's arrays in Keras's weight order: own ``vars/0..n``, then sublayers'."""
    out = []
    own = _child(group, "vars", where, walk)
    if own is not None:
        if not isinstance(own, walk.h5py.Group):
            raise archive.ArchiveError(f"{where}/vars is not a group of arrays.")
        names = sorted(own.keys(), key=lambda k: int(k) if k.isdigit() else -1)
        if names != [str(i) for i in range(len(names))]:
            raise archive.ArchiveError(f"{where}: unexpected variable names {names[:10]}.")
        out.extend(_child(own, n, f"{where}/vars", walk) for n in names)
    order = _CHILD_ORDER.get(class_name, ())
    children = [k for k in group.keys() if k != "vars" and not k.startswith(_SKIPPED_CHILDREN)]
    children.sort(key=lambda k: (order.index(k) if k in order else len(order), k))
    for child in children:
        sub = _child(group, child, where, walk)
        if isinstance(sub, walk.h5py.Group):
            out.extend(_flatten_group(sub, None, f"{where}/{child}", walk))
    for dataset in out:
        if not isinstance(dataset, walk.h5py.Dataset):
            raise archive.ArchiveError(f"{where}: {dataset.name} is not a numeric array.")
    return out


def _saved_by_keras(weights):
    return [w for w in weights
            if w.trainable or not str(getattr(w, "name", "")).startswith(UNSAVED_PREFIXES)]


def _plan(layout, group, where, problems, plan, walk):
    for name, layer, class_name, sub in layout:
        path = f"{where}/{name}"
        node = _child(group, name, where, walk)
        if sub is not None:
            inner = (_child(node, "layers", path, walk) if isinstance(node, walk.h5py.Group)
                     else None)
            if inner is None and layer.weights:
                problems.append(f"model '{layer.name}' has no group '{path}/layers'")
                continue
            _plan(sub, inner, f"{path}/layers", problems, plan, walk)
            continue
        ours = _saved_by_keras(layer.weights) if layer.built else []
        if not isinstance(node, walk.h5py.Group):
            if ours:
                problems.append(f"layer '{layer.name}' has no group '{path}' in the file")
            continue
        arrays = _flatten_group(node, class_name, path, walk)
        shapes = [tuple(a.shape) for a in arrays]
        expected = [v.shape for v in ours]
        if shapes != expected:
            problems.append(f"layer '{layer.name}' expects weights of shapes {expected} "
                            f"but '{path}' holds {shapes}")
            continue
        if arrays:
            plan.append((layer, arrays))


def _holds_data(node, where, walk):
    """Whether a group (visited once per object, like every read) holds any array."""
    if isinstance(node, walk.h5py.Dataset):
        return True
    if not isinstance(node, walk.h5py.Group):
        return False
    return any(_holds_data(_child(node, key, where, walk), f"{where}/{key}", walk)
               for key in node.keys())


def _exact_plan(model, h5file, walk):
    """``[(variable, dataset)]`` if the file has exactly the groups ``model`` saves, else None.

    The layout of :func:`keras_layout.layer_groups`, which jaxlayers writes and
    which Keras writes for the same model, subclassed models included.  Groups
    the layout does not name may exist (Keras saves empty ones for sublayers
    without weights) but must hold no arrays.
    """
    groups = layer_groups(model)
    expected = {"": {"optimizer"}}  # the optimizer is read on its own
    for path, _, _ in groups:
        parts = path.split("/") if path else []
        for i, part in enumerate(parts):
            expected.setdefault("/".join(parts[:i]), set()).add(part)
    nodes = {"": h5file}

    def node_at(path):
        if path not in nodes:
            parent, _, name = path.rpartition("/")
            up = node_at(parent)
            nodes[path] = None if up is None else _child(up, name, parent or walk.source, walk)
        return nodes[path]

    plan = []
    for path, _, variables in groups:
        node = node_at(path)
        if not isinstance(node, walk.h5py.Group):
            if variables:
                return None
            continue
        where = path or walk.source
        own = _child(node, "vars", where, walk)
        if own is not None and not isinstance(own, walk.h5py.Group):
            return None
        if (0 if own is None else len(own)) != len(variables):
            return None
        for i, var in enumerate(variables):
            dataset = _child(own, str(i), f"{path}/vars", walk)
            if not isinstance(dataset, walk.h5py.Dataset) or tuple(dataset.shape) != var.shape:
                return None
            plan.append((var, dataset))
        for key in node.keys():
            if key != "vars" and key not in expected.get(path, ()) and _holds_data(
                    _child(node, key, where, walk), f"{path}/{key}", walk):
                return None
    return plan


def _assign_h5(model, h5file, walk, skip_mismatch=False, config=None):
    """Assigns the weights of an open Keras ``model.weights.h5`` to ``model``."""
    source = walk.source
    # The exact layout first, with or without the model's config (it names every group, so a
    # layer's sublayers are read by name, not by order); then the order-based reading.
    # A walk of its own: the fallback below visits the same objects again.
    exact = _exact_plan(model, h5file, _H5Walk(walk.h5py, source, walk.size, walk.budget,
                                               walk.nested_in))
    if exact is not None:
        values = [read_array(dataset) for _, dataset in exact]
        for (var, _), value in zip(exact, values):
            var.assign(value)
        return
    layout = (_layout_from_config(model, config)
              if config is not None and config["class_name"] in MODEL_CLASSES
              else layout_from_model(model))
    problems, plan = [], []
    _plan(layout, _child(h5file, "layers", source, walk), "layers", problems, plan, walk)
    if problems:
        message = (f"{source}: the Keras weights do not match {type(model).__name__} "
                   f"'{model.name}': first mismatch: {problems[0]}"
                   f"{f' ({len(problems) - 1} more)' if len(problems) > 1 else ''}.")
        if not skip_mismatch:
            raise WeightsMismatchError(
                message + " Pass skip_mismatch=True to load only the matching layers.")
        warnings.warn(message + " Those layers were skipped (skip_mismatch=True).",
                      stacklevel=4)
    values = [(layer, [read_array(a) for a in arrays]) for layer, arrays in plan]
    for layer, arrays in values:
        if len(arrays) == len(layer.weights):
            layer.set_weights(arrays)
            continue
        arrays = iter(arrays)  # only the weights Keras saves; the others keep their values
        for var in _saved_by_keras(layer.weights):
            var.assign(next(arrays))


def assign_h5(model, stream, source, skip_mismatch=False, config=None, size=None,
              budget=None, nested_in=None):
    """Assigns the weights of a Keras ``model.weights.h5`` (a binary stream) to ``model``.

    The file's groups are matched to the model's layers by Keras's layout
    (``layers/<name>/vars/<i>``); every array must have the shape of the
    weight it fills, or the layer is reported as a mismatch.

    Args:
        model: The built model to fill (its weights take the file's values).
        stream: Seekable binary stream of the HDF5 file.
        source: How messages name the file.
        skip_mismatch: Load the matching layers and warn about the others.
        config: The translated model config of a ``.keras`` file (gives Keras's
            layer order); ``None`` reads the order from ``model``.
        size: Bytes of the HDF5 file (default: up to the stream's end).
        budget: The :class:`archive.DecompressionBudget` of the outer file.
        nested_in: The archive member the stream comes from, if any.

    Raises:
        WeightsMismatchError: A layer's arrays are missing or of other shapes
            (unless ``skip_mismatch``).
        ArchiveError: The file is not readable HDF5, or links outside itself.

    Example:
        >>> trained = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> trained.save_weights("model.weights.h5")
        >>> fresh = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> with open("model.weights.h5", "rb") as f:
        ...     assign_h5(fresh, f, "model.weights.h5")
        >>> [w.shape for w in fresh.get_weights()]
        [(3, 2), (2,)]
        >>> all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), trained.get_weights()))
        True
    """
    with _opened(stream, source, size, budget, nested_in, "weights") as (h5file, walk):
        _assign_h5(model, h5file, walk, skip_mismatch, config)


@contextlib.contextmanager
def _opened(stream, source, size, budget, nested_in, what):
    """``(h5file, walk)`` of a Keras weights stream; read failures become ArchiveErrors."""
    h5py = _import_h5py()
    if size is None:
        size = stream.seek(0, 2)
        stream.seek(0)
    walk = _H5Walk(h5py, source, size, budget or archive.DecompressionBudget(size, source),
                   nested_in)
    try:
        h5file = h5py.File(stream, "r")
    except (OSError, ValueError) as e:
        raise archive.ArchiveError(
            f"{source}: the Keras weights are not a readable HDF5 file ({e}). The file is "
            "truncated or corrupt."
        ) from e
    with h5file:
        try:
            yield h5file, walk
        except (KeyError, OSError, RuntimeError) as e:
            raise archive.ArchiveError(
                f"{source}: could not read the Keras {what} ({e}). The file is truncated "
                "or corrupt.") from e


def read_h5_optimizer(stream, source, size=None, budget=None, nested_in=None):
    """The arrays of ``optimizer/vars/0..n`` of a Keras weights file, or ``None``.

    Read with the same checks as the weights (no links out of the file, each
    object once, stored bytes as declared).  Keras stores its optimizer's
    variables in creation order: the iteration count (shape ``()``), then
    each slot of each weight (a weight's shape).

    Args:
        stream, source, size, budget, nested_in: As for :func:`assign_h5`.

    Returns:
        The list of arrays in the file's order, or ``None`` when the file has
        no ``optimizer`` group (a weights file saved without an optimizer).

    Example:
        >>> import h5py, io
        >>> stream = io.BytesIO()
        >>> with h5py.File(stream, "w") as f:
        ...     f["optimizer/vars/0"] = np.int64(4)
        ...     f["optimizer/vars/1"] = np.zeros((3, 2), "float32")
        >>> [a.shape for a in read_h5_optimizer(stream, "stream")]
        [(), (3, 2)]
        >>> jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)]).save_weights("w.weights.h5")
        >>> with open("w.weights.h5", "rb") as f:
        ...     print(read_h5_optimizer(f, "w.weights.h5"))
        None
    """
    with _opened(stream, source, size, budget, nested_in, "optimizer variables") as (
            h5file, walk):
        group = _child(h5file, "optimizer", source, walk)
        if not isinstance(group, walk.h5py.Group):
            return None
        return [read_array(a) for a in _flatten_group(group, None, "optimizer", walk)]


def read_h5_tree(stream, source, size=None, budget=None, nested_in=None):
    """Every array of a Keras weights file as nested dicts, and each object's saved name.

    Returns ``(tree, names)``: ``tree`` maps group names to dicts, an object's
    ``vars/<i>`` arrays appearing as its keys ``"<i>"``; ``names`` maps object
    paths to the ``name`` attribute Keras records.  Read with the checks of
    the weights loader.

    Args:
        stream, source, size, budget, nested_in: As for :func:`assign_h5`.

    Example:
        >>> jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)]).save_weights("t.weights.h5")
        >>> with open("t.weights.h5", "rb") as f:
        ...     tree, names = read_h5_tree(f, "t")
        >>> jax.tree.map(np.shape, tree)
        {'layers': {'dense': {'0': (3, 2), '1': (2,)}}}
    """
    names = {}

    def read(group, path, walk):
        h5py = walk.h5py
        out = {}
        for key in group.keys():
            node = _child(group, key, path or source, walk)
            where = f"{path}/{key}" if path else key
            if key == "vars" and isinstance(node, h5py.Group):
                name = node.attrs.get("name")
                if isinstance(name, (str, bytes)):
                    names[path] = name.decode() if isinstance(name, bytes) else name
                for var in node.keys():
                    dataset = _child(node, var, where, walk)
                    if not isinstance(dataset, h5py.Dataset):
                        raise archive.ArchiveError(f"{source}: {where}/{var} is not an array.")
                    out[var] = read_array(dataset)
            elif isinstance(node, h5py.Group):
                inner = read(node, where, walk)
                if inner:
                    out[key] = inner
            else:
                raise archive.ArchiveError(f"{source}: {where} is an array outside a 'vars' "
                                           "group; not a Keras weights file.")
        return out

    with _opened(stream, source, size, budget, nested_in, "weights") as (h5file, walk):
        return read(h5file, "", walk), names


def load_h5_weights(model, path, source, skip_mismatch=False):
    """``model.load_weights`` for a Keras 3 ``.weights.h5`` file (a regular file only).

    Args:
        model, source, skip_mismatch: As for :func:`assign_h5`.
        path: The file's path.

    Example:
        >>> jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)]).save_weights("w.weights.h5")
        >>> load_h5_weights(jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)]), "w.weights.h5", "")
    """
    with archive.open_regular(path, source) as stream:
        assign_h5(model, stream, source, skip_mismatch)


__all__ = ["assign_h5", "load_h5_weights", "read_h5_optimizer", "read_h5_tree", "read_array",
           "layout_from_model"]
