"""Every public name of Keras 3's user-facing namespaces exists at the same place in jaxlayers.

``keras.ops.numpy.add`` must be ``jaxlayers.ops.numpy.add``, ``keras.layers.Dense``
``jaxlayers.layers.Dense``, and so on for the namespaces in ``NAMESPACES`` and
their public submodules (``keras.ops.nn``, ``keras.datasets.mnist``, ...).

``PENDING`` lists the names still missing on this branch: it only ever shrinks.
A name listed there that exists fails the test too, so each one is deleted as it
lands; ``python tests/tools/pending_names.py`` prints the current dict after a
merge.  ``OMITTED`` lists deliberate omissions, each with its reason.
"""

import json
import types

import pytest

import jaxlayers
from tests.helpers import run_python

NAMESPACES = (
    "ops", "random", "utils", "config", "tree", "backend", "layers", "losses", "metrics",
    "datasets", "activations", "initializers", "regularizers", "constraints", "callbacks",
    "saving", "models", "optimizers", "applications", "distribution", "dtype_policies",
    "mixed_precision",
)
TOP = "keras"  # the namespaces themselves, as names of the top-level package

# Names missing on this branch, by Keras namespace. Only shrinks: delete a name once it
# exists (the test fails until you do). Regenerate with tests/tools/pending_names.py.
PENDING = {}

# Deliberate omissions: {namespace: {name: reason}}. An omitted submodule omits its names.
_QUANTIZED = ("a quantized dtype policy: jaxlayers has no quantized layers (Keras's "
              "Layer.quantize), so there is nothing for it to select")
OMITTED = {
    "dtype_policies": {name: _QUANTIZED for name in (
        "AWQDTypePolicy", "GPTQDTypePolicy", "Int4DTypePolicy", "QuantizedDTypePolicy",
        "QuantizedFloat8DTypePolicy")},
    "optimizers": {
        "legacy": "Keras 2 (tf.keras) optimizers kept for TensorFlow checkpoints; jaxlayers "
                  "provides Keras 3's optimizers",
    },
    "utils": {
        "legacy": "Keras 2 (tf.keras) serialization; jaxlayers reads and writes Keras 3's "
                  "format (utils.serialize_keras_object)",
    },
}


def keras_namespaces(keras):
    """``{'ops': {name: value}, 'ops.nn': {...}, 'keras': {...}}``: Keras's public names.

    Submodules that ``OMITTED`` lists are not entered.
    """
    out = {TOP: {name: getattr(keras, name) for name in NAMESPACES}}

    def walk(module, path):
        out[path] = {name: getattr(module, name) for name in dir(module)
                     if not name.startswith("_")}
        for name, value in sorted(out[path].items()):
            # Keras's generated API modules nest by name (keras.ops -> keras.ops.nn).
            if (isinstance(value, types.ModuleType) and name not in OMITTED.get(path, {})
                    and value.__name__ == f"{module.__name__}.{name}"):
                walk(value, f"{path}.{name}")

    for namespace in NAMESPACES:
        walk(getattr(keras, namespace), namespace)
    return out


def _kind(value):
    """What a user can do with a name: import from it, subclass it, call it, or read it."""
    if value is _ABSENT:
        return "absent"
    if isinstance(value, types.ModuleType):
        return "module"
    if isinstance(value, type):
        return "class"
    return "callable" if callable(value) else "value"


def _resolve(path):
    """The jaxlayers object at a Keras namespace path, or ``None`` when any part is missing."""
    target = jaxlayers
    for part in path.split(".") if path != TOP else ():
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def missing_names(keras):
    """``{namespace: names}`` of Keras names absent from jaxlayers, omissions left out.

    A name of another kind counts as missing: ``jl.ops.conv`` must be a function
    as ``keras.ops.conv`` is, and ``jl.layers.Dense`` a class one can subclass.
    """
    out = {}
    for path, names in keras_namespaces(keras).items():
        target = _resolve(path)
        missing = {name for name, value in names.items()
                   if _kind(getattr(target, name, _ABSENT)) != _kind(value)}
        missing -= set(OMITTED.get(path, ()))
        if missing:
            out[path] = missing
    return out


# Stands for a missing attribute: its kind is one no Keras name has.
_ABSENT = object()


def format_pending(missing):
    """``missing`` as the source text of the ``PENDING`` dict above."""
    lines = ["PENDING = {"]
    for path in sorted(missing):
        names = sorted(missing[path])
        lines.append(f"    {path!r}: {{")
        row = "       "
        for name in names:
            item = f" {name!r},"
            if len(row) + len(item) > 99:
                lines.append(row)
                row = "       "
            row += item
        lines += [row, "    },"]
    return "\n".join(lines + ["}"])


@pytest.fixture(scope="module")
def missing(keras):
    return missing_names(keras)


def test_every_keras_name_exists_at_the_same_place(missing):
    unexpected = {path: sorted(names - PENDING.get(path, set()))
                  for path, names in missing.items() if names - PENDING.get(path, set())}
    assert not unexpected, f"Keras names missing from jaxlayers: {unexpected}"


def test_pending_names_are_still_missing(missing):
    landed = {path: sorted(names - missing.get(path, set()))
              for path, names in PENDING.items() if names - missing.get(path, set())}
    assert not landed, (
        f"These PENDING names exist now (or are no Keras names): delete them from PENDING "
        f"in {__file__} (python tests/tools/pending_names.py prints the new dict): {landed}")


def test_omitted_names_are_keras_names_and_absent(keras):
    names = keras_namespaces(keras)
    for path, reasons in OMITTED.items():
        for name, reason in reasons.items():
            assert name in names.get(path, ()), f"{path}.{name} is no Keras name"
            assert reason, f"{path}.{name} needs a reason"
            target = _resolve(path)
            assert target is None or not hasattr(target, name), (
                f"{path}.{name} exists now: delete it from OMITTED")


def test_namespaces_are_reachable_right_after_import():
    """``import jaxlayers as keras; keras.ops.cond`` works with nothing imported before."""
    code = ("import json, sys, jaxlayers\n"
            "print(json.dumps([n for n in sys.argv[1:] if not hasattr(jaxlayers, n)]))")
    result = run_python(code, *NAMESPACES, capture_output=True, text=True, check=True)
    assert set(json.loads(result.stdout.splitlines()[-1])) == PENDING.get(TOP, set())
