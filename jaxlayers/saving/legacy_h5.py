"""Reading weights in the Keras 2 HDF5 layout (Keras's published ImageNet files).

The layout: the root (or its ``model_weights`` group, in a whole-model file)
lists ``layer_names`` in an attribute; each layer's group lists its
``weight_names`` (``"conv1_conv/kernel:0"``, paths inside the group).  Keras
matches the layers of the file to the model's layers that have weights *by
order*, each layer's trainable then non-trainable weights, and so does this
reader.  The same safety rules as for Keras 3 files hold: a regular file,
hard links only, every dataset stored in the file itself, read once.
"""

import numpy as np

from jaxlayers.saving import archive, keras_h5
from jaxlayers.saving.archive import WeightsMismatchError

_H5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_legacy_h5(path):
    """Whether ``path`` is a regular HDF5 file in the Keras 2 weights layout.

    Args:
        path: A file path.

    Returns:
        A bool (``False`` for anything unreadable).

    Example:
        Keras 3 weight files have another layout (see :func:`load_weights`
        for a Keras 2 one):

        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.save_weights("new.weights.h5")
        >>> is_legacy_h5("new.weights.h5"), is_legacy_h5("missing.h5")
        (False, False)
    """
    try:
        with archive.open_regular(path) as f:
            if f.read(8) != _H5_MAGIC:
                return False
            f.seek(0)
            h5py = keras_h5._import_h5py()
            with h5py.File(f, "r") as h5file:
                if "layer_names" in h5file.attrs:
                    return True
                link = h5file.get("model_weights", getlink=True)
                return (isinstance(link, h5py.HardLink)
                        and "layer_names" in h5file["model_weights"].attrs)
    except (FileNotFoundError, IsADirectoryError):
        return False


def _names(node, attribute):
    """A list-of-strings attribute; Keras splits long ones into ``name0``, ``name1``, ..."""
    if attribute in node.attrs:
        chunks = [node.attrs[attribute]]
    else:
        chunks, i = [], 0
        while f"{attribute}{i}" in node.attrs:
            chunks.append(node.attrs[f"{attribute}{i}"])
            i += 1
    return [n.decode("utf8") if isinstance(n, bytes) else str(n)
            for chunk in chunks for n in np.asarray(chunk).ravel()]


def _dataset(group, path, where, walk, opened):
    """The dataset at ``path`` inside a layer's group; ``opened`` caches the groups on the way
    (a layer's weights share them, and the walk reads each object once)."""
    node, prefix = group, ""
    for part in path.split("/"):
        prefix = f"{prefix}/{part}"
        if prefix not in opened:
            opened[prefix] = keras_h5._child(node, part, where, walk)
        node = opened[prefix]
        if node is None:
            raise archive.ArchiveError(f"{walk.source}: {where}: no weight '{path}' in the file.")
    if not isinstance(node, walk.h5py.Dataset):
        raise archive.ArchiveError(f"{walk.source}: {where}: '{path}' is not a numeric array.")
    return node


def _file_layers(root, walk):
    """``[(layer name, [datasets])]`` of the file's layers that hold weights, in order."""
    out = []
    for name in _names(root, "layer_names"):
        group = keras_h5._child(root, name, "layer_names", walk)
        if not isinstance(group, walk.h5py.Group):
            raise archive.ArchiveError(
                f"{walk.source}: the layer '{name}' listed in layer_names has no group.")
        weights = _names(group, "weight_names")
        if weights:
            opened = {}
            out.append((name, [_dataset(group, w, name, walk, opened) for w in weights]))
    return out


def _assign(model, h5file, walk):
    root = h5file
    if "layer_names" not in h5file.attrs:
        root = keras_h5._child(h5file, "model_weights", "/", walk)
        if root is None or "layer_names" not in root.attrs:
            raise archive.ArchiveError(
                f"{walk.source}: not a Keras 2 HDF5 weights file (no `layer_names`). A "
                "Keras 3 `.weights.h5` file loads with `model.load_weights(path)`.")
    saved = _file_layers(root, walk)
    ours = [layer for layer in model.layers if layer.weights]
    if len(saved) != len(ours):
        raise WeightsMismatchError(
            f"{walk.source}: the file holds weights for {len(saved)} layers but "
            f"{type(model).__name__} '{model.name}' has {len(ours)} layers with weights "
            "(Keras 2 HDF5 files are matched layer by layer, in order).")
    plan = []
    for layer, (name, datasets) in zip(ours, saved):
        variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
        shapes = [tuple(d.shape) for d in datasets]
        expected = [tuple(v.shape) for v in variables]
        if shapes != expected:
            raise WeightsMismatchError(
                f"{walk.source}: layer '{layer.name}' expects weights of shapes {expected} but "
                f"the file's layer '{name}' holds {shapes}.")
        plan.append((variables, datasets))
    values = [(variables, [archive.native(np.asarray(d[()])) for d in datasets])
              for variables, datasets in plan]
    for variables, arrays in values:
        for var, array in zip(variables, arrays):
            var.assign(array)


def load_weights(model, path):
    """Assigns the weights of a Keras 2 layout HDF5 file at ``path`` to ``model``, all or none.

    Args:
        model: A built model whose layers with weights are, in order, those of the file.
        path: A regular HDF5 file (``is_legacy_h5(path)``).

    Example:
        >>> import h5py
        >>> with h5py.File("old.h5", "w") as f:
        ...     f.attrs["layer_names"] = [b"dense"]
        ...     group = f.create_group("dense")
        ...     group.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        ...     group["dense/kernel:0"] = np.ones((3, 2), "float32")
        ...     group["dense/bias:0"] = np.zeros(2, "float32")
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> load_weights(model, "old.h5")
        >>> model.get_weights()[0].tolist()
        [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    """
    h5py = keras_h5._import_h5py()
    source = repr(str(path))
    with archive.open_regular(path, source) as stream:
        size = stream.seek(0, 2)
        stream.seek(0)
        walk = keras_h5._H5Walk(h5py, source, size,
                                    archive.DecompressionBudget(size, source))
        try:
            h5file = h5py.File(stream, "r")
        except (OSError, ValueError) as e:
            raise archive.ArchiveError(
                f"{source}: not a readable HDF5 file ({e}). The file is truncated or corrupt."
            ) from e
        with h5file:
            try:
                _assign(model, h5file, walk)
            except (KeyError, OSError, RuntimeError) as e:
                raise archive.ArchiveError(
                    f"{source}: could not read the weights ({e}). The file is truncated or "
                    "corrupt.") from e


__all__ = ["is_legacy_h5", "load_weights"]
