"""The import layers of docs/architecture.md hold: no cycles, no upward imports, no
private names across packages (``ops``' underscore math modules excepted, as the
document says), and ``import jaxlayers.ops`` loads the math alone.

The layer table is read from docs/architecture.md, so the document and this test
cannot disagree.  Imports are found with ``ast`` in every module, including the
imports inside functions (an import deferred into a function is still an edge).
"""

import ast
import collections
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "jaxlayers")
DOC = os.path.join(ROOT, "docs", "architecture.md")

# Cycles that other issue-13 branches remove (the RNN cell protocol, the split of
# metrics by family). Each must still exist: once it is gone, delete its entry.
# Exceptions would be listed here with the reason; there are none.
KNOWN_CYCLES = {}
KNOWN_PRIVATE_USES = set()


def _layer_table():
    """``{module or package name: layer}`` from the table in docs/architecture.md."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    table = {}
    for number, modules in re.findall(r"^\| (\d+) \| (.+?) \|", text, re.M):
        for name in re.findall(r"`([\w.]+)`", modules):
            table[name] = int(number)
    return table


def _modules():
    """``{module name: (path, is_package)}`` for every module of jaxlayers."""
    out = {}
    for folder, _, files in os.walk(PACKAGE):
        for file in files:
            if not file.endswith(".py"):
                continue
            path = os.path.join(folder, file)
            parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
            is_package = parts[-1] == "__init__"
            out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _known(name):
    """The module ``name`` names, or its closest enclosing module."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _import_targets(module, is_package, node):
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "jaxlayers"]
    if node.level:
        base = module.split(".")[: len(module.split(".")) - node.level + is_package]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "jaxlayers":
        return []
    # `from pkg import sub` imports the module pkg.sub; `from mod import name` imports mod.
    return [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target
            for a in node.names]


def _dynamic_target(node):
    """The constant ``jaxlayers...`` prefix of ``importlib.import_module(...)``, if any."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        text = arg.value
    elif isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0],
                                                                       ast.Constant):
        text = arg.values[0].value
    else:
        return None
    return text.rstrip(".") if text.split(".")[0] == "jaxlayers" else None


def _imports():
    """``{module: {imported module: line}}``, module-level and function-level imports."""
    graph = {}
    for module, (path, is_package) in MODULES.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        edges = {}
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = _import_targets(module, is_package, node)
            elif isinstance(node, ast.Call):
                target = _dynamic_target(node)
                targets = [target] if target else []
            for target in targets:
                target = _known(target)
                if target != module:
                    edges.setdefault(target, node.lineno)
        graph[module] = edges
    return graph


GRAPH = _imports()
TABLE = _layer_table()


def _layer_of(module):
    name = module
    while name not in TABLE:
        if "." not in name:
            raise AssertionError(
                f"{module} is in no row of the layer table in docs/architecture.md; "
                f"add it (or its package) to the row of its layer.")
        name = name.rsplit(".", 1)[0]
    return TABLE[name]


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_layer_table_names_real_modules_and_covers_every_module():
    assert TABLE, "docs/architecture.md has no layer table"
    unknown = sorted(name for name in TABLE if name not in MODULES)
    assert not unknown, f"the layer table names modules that do not exist: {unknown}"
    for module in MODULES:
        _layer_of(module)


def test_no_module_imports_from_a_higher_layer():
    upward = [f"{module} (layer {_layer_of(module)}) imports {target} (layer "
              f"{_layer_of(target)}) at line {line}"
              for module, edges in sorted(GRAPH.items())
              for target, line in sorted(edges.items())
              if _layer_of(target) > _layer_of(module)]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_the_import_graph_has_no_cycles():
    cycles = _cycles(GRAPH)
    new = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"
    gone = [why for c, why in KNOWN_CYCLES.items() if c not in cycles]
    assert not gone, f"these known cycles are gone; delete them from KNOWN_CYCLES: {gone}"


def test_ops_imports_nothing_but_errors():
    for module, edges in GRAPH.items():
        if module == "jaxlayers.ops" or module.startswith("jaxlayers.ops."):
            outside = [t for t in edges if not (t == "jaxlayers.errors"
                                                or t.startswith("jaxlayers.ops"))]
            assert not outside, f"{module} imports {outside}"


def test_the_package_itself_imports_only_the_bottom_layer_at_import_time():
    path, _ = MODULES["jaxlayers"]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    eager = [target for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
             for target in _import_targets("jaxlayers", True, node)]
    assert eager and all(_layer_of(_known(t)) == 0 for t in eager), eager


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, check=True).stdout


def test_importing_ops_loads_no_core_layers_models_or_training():
    loaded = _run(
        "import sys, jaxlayers.ops, jaxlayers.ops._conv, jaxlayers.ops._rnn\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('jaxlayers'))))"
    ).split()
    heavy = [m for m in loaded if m.split(".")[1:2] and m.split(".")[1] in
             ("core", "layers", "models", "training", "saving", "backend")]
    assert not heavy, f"import jaxlayers.ops loaded {heavy}"
    assert "jaxlayers.ops._conv" in loaded and "jaxlayers.ops.nn" in loaded


def test_a_part_imported_directly_reaches_higher_parts_through_hooks(tmp_path):
    # Model.save lives in models, the file format in saving (a higher layer): the hook
    # imports every part on first use, so a direct import of models still saves.
    out = _run(
        "import os, sys, numpy as np\n"
        "from jaxlayers.models import Sequential\n"
        "from jaxlayers.layers import Dense\n"
        "print('saving' in {m.split('.')[1] for m in sys.modules if '.' in m\n"
        "                   and m.startswith('jaxlayers')})\n"
        "model = Sequential([Dense(2)]); model.build((None, 3))\n"
        f"model.save(os.path.join({str(tmp_path)!r}, 'm.keras'))\n"
        f"print(os.path.exists(os.path.join({str(tmp_path)!r}, 'm.keras')))\n"
    ).split()
    assert out == ["False", "True"]


def test_a_missing_hook_names_its_provider():
    from jaxlayers import errors, hooks

    with pytest.raises(errors.NotLoadedError,
                       match=r"Thing.method needs my_module, which is not imported and "
                             r"cannot be imported while jaxlayers' own modules are being "
                             r"imported. Import it first \(`import my_module`\)."):
        hooks.get("test.never_provided", "my_module", "Thing.method")


def _defined_private_names():
    """``{package: set of private names it defines}`` (defs, classes, assignments)."""
    defined = collections.defaultdict(set)
    for module, (path, _) in MODULES.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        package = _package(module)
        for node in ast.walk(tree):
            names = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names = [node.attr]
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names = [node.id]
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.slice, ast.Constant)):
                names = [node.slice.value]
            defined[package].update(n for n in names if _private(n))
    return defined


def _private(name):
    return (isinstance(name, str) and name.startswith("_")
            and not (name.startswith("__") and name.endswith("__")))


def _shared_math(module):
    """An underscore module of ``ops``: math with no Keras name that other packages use."""
    return module.startswith("jaxlayers.ops._") and module in MODULES


def _package(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "jaxlayers"


def test_no_package_uses_another_packages_private_names():
    defined = _defined_private_names()
    owners = collections.defaultdict(set)
    for package, names in defined.items():
        for name in names:
            owners[name].add(package)
    found = set()
    for module, (path, is_package) in MODULES.items():
        package = _package(module)
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for target in _import_targets(module, is_package, node):
                    other = _package(_known(target))
                    hidden = [] if _shared_math(target) else [
                        p for p in target.split(".") if _private(p)]
                    # `from jaxlayers.ops import _conv` names the module it imports.
                    hidden += [a.name for a in node.names if _private(a.name)
                               and not (_shared_math(target) and target.endswith(a.name))]
                    if other != package and hidden:
                        found.add((package, hidden[0], f"{module}:{node.lineno}"))
                continue
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None)
                  in ("getattr", "hasattr", "setattr") and len(node.args) > 1
                  and isinstance(node.args[1], ast.Constant)):
                name = node.args[1].value
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                name = node.slice.value
            if _private(name) and owners.get(name) and package not in owners[name]:
                found.add((package, name, f"{module}:{node.lineno}"))
    new = sorted(f for f in found if f[:2] not in KNOWN_PRIVATE_USES)
    assert not new, "private names used across packages:\n" + "\n".join(map(str, new))
    gone = KNOWN_PRIVATE_USES - {f[:2] for f in found}
    assert not gone, f"these private uses are gone; delete them from KNOWN_PRIVATE_USES: {gone}"


PUBLIC_API = {
    "jaxlayers.core.layer.Layer": [
        "build", "call", "__call__", "init", "apply", "apply_with_aux", "stateless_call",
        "add_weight", "get_weights", "set_weights", "get_config", "compute_output_shape",
        "compute_mask", "call_with_mask", "count_params", "set_params"],
    "jaxlayers.models.model.Model": [
        "compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
        "predict_on_batch", "save", "save_weights", "load_weights", "get_layer"],
}


@pytest.mark.parametrize("qualname", sorted(PUBLIC_API))
def test_the_public_api_is_annotated(qualname):
    import importlib
    import inspect

    module, cls_name = qualname.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), cls_name)
    missing = []
    for name in PUBLIC_API[qualname]:
        sig = inspect.signature(getattr(cls, name))
        params = [p for p in sig.parameters.values() if p.name != "self"]
        if sig.return_annotation is inspect.Signature.empty or any(
                p.annotation is inspect.Parameter.empty for p in params):
            missing.append(name)
    assert not missing, f"{qualname}: add type hints to {missing}"


def test_no_module_is_over_800_lines():
    long = {}
    for module, (path, _) in MODULES.items():
        with open(path, encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > 800:
            long[module] = n
    assert not long, f"split these modules by idea (docs/architecture.md): {long}"
