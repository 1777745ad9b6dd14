"""``KerasFileEditor``: inspect and edit the weights of a saved ``.keras`` or ``.weights.h5``.

The file's weights are read once (with the checks of
:mod:`jaxlayers.saving.keras_h5`: nothing outside the file is followed)
into a tree of dicts: one dict per saved object (``layers`` -> ``dense`` ->
``{"0": kernel, "1": bias}``), its sublayers as nested dicts.  Edits change
that tree; :meth:`KerasFileEditor.save` writes it as a Keras ``.weights.h5``.
"""

import numpy as np

from jaxlayers.errors import ConfigError, ConfigTypeError
from jaxlayers.saving import archive, keras_h5, keras_layout, keras_writer


def _shapes(tree):
    return {k: _shapes(v) if isinstance(v, dict) else tuple(np.shape(v))
            for k, v in tree.items()}


def _reference(model):
    """The weight-shape tree a model would save (its layers' groups)."""
    tree = {}
    for path, _, variables in keras_layout.layer_groups(model):
        if not variables:
            continue
        node = tree
        for part in path.split("/") if path else []:
            node = node.setdefault(part, {})
        for i, var in enumerate(variables):
            node[str(i)] = tuple(var.shape)
    return tree


class KerasFileEditor:
    """Inspects and edits the weights of a Keras 3 ``.keras`` or ``.weights.h5`` file.

    Args:
        filepath: A ``.keras`` file in Keras's layout (as ``model.save``
            writes with h5py installed) or a ``.weights.h5`` file.

    Attributes:
        weights_dict: The weights as nested dicts of NumPy arrays.
        config: ``config.json`` of a ``.keras`` file (``None`` otherwise).
        metadata: ``metadata.json`` of a ``.keras`` file (``None`` otherwise).

    Example:
        >>> model = jl.Sequential([jl.Input((3,)), jl.layers.Dense(2)])
        >>> model.save_weights("m.weights.h5")
        >>> editor = jl.saving.KerasFileEditor("m.weights.h5")
        >>> sorted(editor.weights_dict["layers"]["dense"])
        ['0', '1']
        >>> editor.rename_object("dense", "dense_renamed")
        >>> editor.save("renamed.weights.h5")
    """

    def __init__(self, filepath):
        path = str(filepath)
        self.filepath, self.config, self.metadata = path, None, None
        source = repr(path)
        if path.endswith(".keras"):
            with archive.ZipReader(path) as z:
                if archive.KERAS_WEIGHTS_MEMBER not in z.names:
                    raise ConfigError(
                        f"KerasFileEditor: {source} holds no 'model.weights.h5' (it is "
                        "jaxlayers's npz layout, written without h5py). Install h5py and "
                        "save the model again to edit its weights.")
                self.config = z.read_json(archive.CONFIG_MEMBER)
                self.metadata = z.read_json(archive.METADATA_MEMBER)
                with z.open_member(archive.KERAS_WEIGHTS_MEMBER) as stream:
                    self.weights_dict, self.object_metadata = keras_h5.read_h5_tree(
                        stream, source, **z.nested_limits(archive.KERAS_WEIGHTS_MEMBER))
        elif path.endswith(".weights.h5"):
            with archive.open_regular(path, source) as stream:
                self.weights_dict, self.object_metadata = keras_h5.read_h5_tree(
                    stream, source)
        else:
            raise ConfigError(
                "KerasFileEditor: `filepath` must end in '.keras' or '.weights.h5'. "
                f"Received: filepath={path!r}.")

    # ------------------------------------------------------------------ inspecting
    def summary(self):
        """Prints every object of the file with its weights' shapes and dtypes."""
        print(f"Weights file: {self.filepath}")

        def show(tree, indent):
            for key, value in tree.items():
                if isinstance(value, dict):
                    print(f"{indent}{key}/")
                    show(value, indent + "    ")
                else:
                    print(f"{indent}{key}: shape={tuple(value.shape)}, dtype={value.dtype}")

        show(self.weights_dict, "")

    def compare(self, reference_model):
        """Lists the differences between the file's weights and ``reference_model``'s.

        Returns:
            ``{"status": "success" | "error", "error_count", "match_count"}``.
        """
        errors, matches = [], 0

        def walk(ours, theirs, path):
            nonlocal matches
            for key in sorted(set(ours) | set(theirs)):
                where = f"{path}/{key}" if path else key
                if key not in theirs:
                    errors.append(f"{where} is in the file but not in the model")
                elif key not in ours:
                    errors.append(f"{where} is in the model but not in the file")
                elif isinstance(ours[key], dict) != isinstance(theirs[key], dict):
                    errors.append(f"{where} is an object in one and a weight in the other")
                elif isinstance(ours[key], dict):
                    walk(ours[key], theirs[key], where)
                elif ours[key] != theirs[key]:
                    errors.append(f"{where} has shape {ours[key]} in the file but "
                                  f"{theirs[key]} in the model")
                else:
                    matches += 1

        mine = _shapes({k: v for k, v in self.weights_dict.items() if k != "optimizer"})
        walk(mine, _reference(reference_model), "")
        for error in errors:
            print(f"...{error}")
        status = "error" if errors else "success"
        print(f"Comparison {status}: {len(errors)} mismatch(es), {matches} matching "
              "weight(s).")
        return {"status": status, "error_count": len(errors), "match_count": matches}

    # ------------------------------------------------------------------ editing
    def _locate(self, name, what):
        """``(parent dict, key)`` of an object given by path (``layers/dense``) or unique name."""
        _check_name(name, "object_name", what)
        if "/" in name:
            parts = name.split("/")
            node = self.weights_dict
            for part in parts[:-1]:
                node = node.get(part)
                if not isinstance(node, dict):
                    break
            if isinstance(node, dict) and isinstance(node.get(parts[-1]), dict):
                return node, parts[-1]
            raise ConfigError(f"KerasFileEditor.{what}: no object at path {name!r} in the "
                              f"file. Top-level keys: {sorted(self.weights_dict)}.")
        found = []

        def search(node):
            for key, value in node.items():
                if isinstance(value, dict):
                    if key == name:
                        found.append((node, key))
                    search(value)

        search(self.weights_dict)
        if len(found) != 1:
            state = "is not" if not found else f"occurs {len(found)} times"
            raise ConfigError(
                f"KerasFileEditor.{what}: the object name {name!r} {state} in the file; "
                "pass its full path (e.g. 'layers/dense').")
        return found[0]

    def rename_object(self, object_name, new_name):
        """Renames an object (a layer's group), given by name or path."""
        _check_name(new_name, "new_name", "rename_object")
        if "/" in new_name:
            raise ConfigError("KerasFileEditor.rename_object: `new_name` must be a name, not "
                              f"a path. Received: new_name={new_name!r}.")
        parent, key = self._locate(object_name, "rename_object")
        if new_name in parent:
            raise ConfigError(f"KerasFileEditor.rename_object: {new_name!r} already exists "
                              "next to the object.")
        parent[new_name] = parent.pop(key)

    def delete_object(self, object_name):
        """Removes an object and all its weights, given by name or path."""
        parent, key = self._locate(object_name, "delete_object")
        del parent[key]

    def add_object(self, object_path, weights):
        """Adds an object at ``object_path`` (``"layers/dense_2"``) holding ``weights``.

        Args:
            object_path: Its full path; the objects above it must exist.
            weights: ``{weight name: array}``, e.g. ``{"0": kernel, "1": bias}``.
        """
        _check_name(object_path, "object_path", "add_object")
        weights = _check_weights(weights, "add_object")
        parts = object_path.split("/")
        node = self.weights_dict
        for part in parts[:-1]:
            node = node.get(part)
            if not isinstance(node, dict):
                raise ConfigError(f"KerasFileEditor.add_object: the path {object_path!r} "
                                  f"does not exist up to {part!r}.")
        if parts[-1] in node:
            raise ConfigError(f"KerasFileEditor.add_object: {object_path!r} already exists.")
        node[parts[-1]] = weights

    def delete_weight(self, object_name, weight_name):
        """Removes the weight ``weight_name`` (e.g. ``"1"``) of an object."""
        parent, key = self._locate(object_name, "delete_weight")
        obj = parent[key]
        if weight_name not in obj or isinstance(obj[weight_name], dict):
            names = sorted(k for k, v in obj.items() if not isinstance(v, dict))
            raise ConfigError(f"KerasFileEditor.delete_weight: {object_name!r} has no weight "
                              f"{weight_name!r} (its weights: {names}).")
        del obj[weight_name]

    def add_weights(self, object_name, weights):
        """Adds (or replaces) weights of an existing object: ``{name: array}``."""
        weights = _check_weights(weights, "add_weights")
        parent, key = self._locate(object_name, "add_weights")
        parent[key].update(weights)

    # ------------------------------------------------------------------ writing
    def save(self, filepath):
        """Writes the edited weights as a Keras ``.weights.h5`` file."""
        path = str(filepath)
        if not path.endswith(".weights.h5"):
            raise ConfigError("KerasFileEditor.save: `filepath` must end in '.weights.h5'. "
                              f"Received: filepath={path!r}.")
        h5py = keras_writer.import_h5py("KerasFileEditor.save")

        def write(f):
            with h5py.File(f, "w") as h5file:
                _write_tree(h5file, self.weights_dict, "", self.object_metadata)

        archive.atomic_write(path, write)

    resave_weights = save


def _write_tree(h5file, tree, path, names):
    arrays = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if arrays:
        group = h5file.create_group(f"{path}/vars" if path else "vars")
        if path in names:
            group.attrs["name"] = names[path]
        for key, value in arrays.items():
            group[key] = np.asarray(value)
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            _write_tree(h5file, value, f"{path}/{key}" if path else key, names)


def _check_name(name, arg, what):
    if not isinstance(name, str) or not name or name.startswith("/") or name.endswith("/"):
        raise ConfigTypeError(f"KerasFileEditor.{what}: `{arg}` must be a non-empty name or "
                              f"'/'-separated path. Received: {arg}={name!r}.")


def _check_weights(weights, what):
    if not isinstance(weights, dict) or not all(isinstance(k, str) and k and "/" not in k
                                                for k in weights):
        raise ConfigTypeError(
            f"KerasFileEditor.{what}: `weights` must be a dict of weight name (e.g. '0') to "
            f"array. Received: weights={type(weights).__name__}.")
    return {k: np.asarray(v) for k, v in weights.items()}


__all__ = ["KerasFileEditor"]
