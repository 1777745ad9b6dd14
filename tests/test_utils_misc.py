"""``jl.utils``: the names Keras 3 has, registry and graph helpers, dtypes, logging,
``Progbar`` and ``model_to_dot``."""

import gc
import logging
import re
import shutil
import sys
import weakref

import jax.numpy as jnp
import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.errors import (
    ConfigError,
    ConfigTypeError,
    DataError,
    SerializationError,
    UnsafeLoadError,
)

# keras.utils names jaxlayers leaves out, each for its own reason:
_NOT_IN_JAXLAYERS = {
    "legacy",  # Keras 2 serialization helpers
}


def test_the_keras_utils_and_datasets_names_exist(keras):
    keras_names = {n for n in dir(keras.utils) if not n.startswith("_")}
    assert keras_names - _NOT_IN_JAXLAYERS <= set(jl.utils.__all__)
    assert _NOT_IN_JAXLAYERS <= keras_names  # the omissions stay honest
    assert all(hasattr(jl.utils, name) for name in jl.utils.__all__)
    datasets = {n for n in dir(keras.datasets) if not n.startswith("_")}
    assert datasets == set(jl.datasets.__all__)
    for name in datasets:
        ours = {n for n in dir(getattr(jl.datasets, name)) if not n.startswith("_")}
        theirs = {n for n in dir(getattr(keras.datasets, name)) if not n.startswith("_")}
        assert theirs <= ours, name


def test_utils_reexports_the_one_home_of_each_helper():
    assert jl.utils.set_random_seed is jl.backend.set_random_seed
    assert jl.utils.clear_session is jl.backend.clear_session
    assert jl.utils.register_keras_serializable is jl.saving.register_keras_serializable
    assert jl.utils.custom_object_scope is jl.saving.custom_object_scope
    assert jl.utils.serialize_keras_object is jl.saving.serialize_keras_object
    assert jl.utils.deserialize_keras_object is jl.saving.deserialize_keras_object
    from jaxlayers.training import progbar

    assert jl.utils.Progbar is progbar.Progbar


# ------------------------------------------------------------------ dtypes and batches
@pytest.mark.parametrize("dtype", [None, int, float, bool, str, complex, "int", "uint8",
                                   np.float64, np.dtype("int16"), jnp.bfloat16, jnp.float32,
                                   "float8_e4m3fn", "complex128"])
def test_standardize_dtype_matches_keras(keras, dtype):
    assert jl.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


def test_standardize_dtype_errors():
    for bad in ("float", "tensor", object):
        with pytest.raises(ConfigError, match=r"standardize_dtype: unknown dtype"):
            jl.utils.standardize_dtype(bad)


@pytest.mark.parametrize("args", [(np.zeros(2),), ([1, 2],), ((1, 2),), (1, 2), (1, 2, 3),
                                  ({"a": 1}, None, 3)])
def test_pack_x_y_sample_weight_matches_keras(keras, args):
    assert jl.utils.pack_x_y_sample_weight(*args) is not None
    ours, theirs = jl.utils.pack_x_y_sample_weight(*args), keras.utils.pack_x_y_sample_weight(
        *args)
    assert type(ours) is type(theirs) and str(ours) == str(theirs)


@pytest.mark.parametrize("data", [np.zeros(2), (1,), (1, 2), [1, 2], (1, 2, 3), {"a": 1}])
def test_unpack_x_y_sample_weight_matches_keras(keras, data):
    assert str(jl.utils.unpack_x_y_sample_weight(data)) == str(
        keras.utils.unpack_x_y_sample_weight(data))


def test_unpack_rejects_longer_tuples():
    with pytest.raises(DataError, match=r"must be a tuple \(x,\), \(x, y\) or"):
        jl.utils.unpack_x_y_sample_weight((1, 2, 3, 4))


# ------------------------------------------------------------------ symbolic graph helpers
def test_get_source_inputs_and_is_keras_tensor():
    a, b, c = jl.Input((2,), name="a"), jl.Input((3,), name="b"), jl.Input((1,), name="c")
    shared = jl.layers.Dense(2)
    y = jl.layers.Concatenate()([shared(a), b, shared(a)])
    assert [t.name for t in jl.utils.get_source_inputs(y)] == ["a", "b"]
    assert jl.utils.get_source_inputs(c) == [c]
    assert jl.utils.is_keras_tensor(y) and not jl.utils.is_keras_tensor(np.zeros(2))
    assert not jl.utils.is_keras_tensor(jnp.zeros(2))
    with pytest.raises(ConfigTypeError, match=r"expected a symbolic tensor"):
        jl.utils.get_source_inputs(np.zeros(2))


# ------------------------------------------------------------------ custom objects
def test_custom_objects_registry_scope_and_round_trip():
    @jl.utils.register_keras_serializable(package="utils_test")
    class Doubler(jl.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return self.factor * x

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    assert jl.utils.get_registered_name(Doubler) == "utils_test>Doubler"
    assert jl.utils.get_registered_object("utils_test>Doubler") is Doubler
    assert jl.utils.get_custom_objects()["utils_test>Doubler"] is Doubler
    config = jl.utils.serialize_keras_object(Doubler(3.0, name="d"))
    assert config["registered_name"] == "utils_test>Doubler"
    restored = jl.utils.deserialize_keras_object(config)
    assert isinstance(restored, Doubler) and restored.factor == 3.0

    class Halver(jl.layers.Layer):
        def call(self, x):
            return x / 2

    plain = {"module": "my_project.layers", "class_name": "Halver", "config": {"name": "h"},
             "registered_name": None}
    with pytest.raises(SerializationError, match=r"no module is ever imported"):
        jl.utils.deserialize_keras_object(plain)
    assert "my_project" not in sys.modules
    with jl.utils.custom_object_scope({"Halver": Halver}):
        assert isinstance(jl.utils.deserialize_keras_object(plain), Halver)
    with jl.utils.CustomObjectScope({"Halver": Halver}):
        assert jl.utils.get_registered_object("Halver") is Halver
    assert jl.utils.get_registered_object("Halver") is None
    jl.utils.get_custom_objects()["Halver"] = Halver
    try:
        assert isinstance(jl.utils.deserialize_keras_object(plain), Halver)
    finally:
        del jl.utils.get_custom_objects()["Halver"]


def test_serialization_round_trips_every_kind_of_object(keras):
    objects = [jl.initializers.GlorotUniform(seed=1), jl.regularizers.L2(0.5),
               jl.constraints.MaxNorm(2.0), jl.losses.MeanSquaredError(),
               jl.metrics.AUC(num_thresholds=7), jl.layers.Dense(3, name="d")]
    for obj in objects:
        config = jl.utils.serialize_keras_object(obj)
        clone = jl.utils.deserialize_keras_object(config)
        assert type(clone) is type(obj)
        assert clone.get_config() == obj.get_config()
    relu = jl.utils.serialize_keras_object(jl.activations.relu)
    assert relu["class_name"] == "function" and relu["config"] == "relu"
    assert jl.utils.deserialize_keras_object(relu) is jl.activations.relu
    nested = [1, "relu", None, {"init": jl.initializers.Zeros()}]
    clone = jl.utils.deserialize_keras_object(jl.utils.serialize_keras_object(nested))
    assert clone[:3] == [1, "relu", None]
    assert isinstance(clone[3]["init"], jl.initializers.Zeros)
    # Keras's own configs name their category in `module` ("keras.initializers").
    theirs = keras.utils.serialize_keras_object(keras.initializers.GlorotUniform(seed=1))
    assert isinstance(jl.utils.deserialize_keras_object(theirs), jl.initializers.GlorotUniform)
    theirs = keras.utils.serialize_keras_object(keras.activations.gelu)
    assert jl.utils.deserialize_keras_object(theirs) is jl.activations.gelu


def _add_one(x):
    return x + 1


def test_deserialize_keras_object_safe_mode():
    config = jl.utils.serialize_keras_object(jl.layers.Lambda(_add_one))
    with pytest.raises(UnsafeLoadError, match=r"holds Python source code"):
        jl.utils.deserialize_keras_object(config)
    ones = np.ones(1, np.float32)
    assert jl.utils.deserialize_keras_object(config, safe_mode=False)(ones).tolist() == [2.0]
    with jl.saving.SafeModeScope(False):
        assert jl.utils.deserialize_keras_object(config)(ones).tolist() == [2.0]


def test_deserialization_never_imports_a_module_named_in_a_config():
    hostile = {"module": "os", "class_name": "system", "config": {"command": "true"},
               "registered_name": None}
    with pytest.raises(SerializationError, match=r"Unknown object class 'system'"):
        jl.utils.deserialize_keras_object(hostile)


# ------------------------------------------------------------------ session and logging
def test_clear_session_resets_names_and_frees_memory():
    jl.utils.clear_session(free_memory=False)
    first = jl.layers.Dense(1)
    jl.layers.Dense(1)
    jl.utils.clear_session(free_memory=False)
    assert jl.layers.Dense(1).name == first.name == "dense"

    class Node:
        pass

    gc.disable()  # only clear_session may collect the cycle below
    try:
        cycle = Node()
        cycle.self = cycle
        ref = weakref.ref(cycle)
        del cycle
        jl.utils.clear_session(free_memory=False)
        assert ref() is not None
        jl.utils.clear_session()
        assert ref() is None
    finally:
        gc.enable()


def test_pillow_missing_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"needs Pillow.*pip install pillow"):
        jl.utils.load_img(str(tmp_path / "x.png"))
    with pytest.raises(ImportError, match=r"pip install pillow"):
        jl.utils.image_dataset_from_directory(str(tmp_path))


def test_interactive_logging_sends_progress_to_the_logger(capsys, caplog):
    assert jl.utils.is_interactive_logging_enabled()
    jl.utils.disable_interactive_logging()
    try:
        assert not jl.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="jaxlayers"):
            bar = jl.utils.Progbar(2, verbose=2)
            bar.update(1, [("loss", 1.0)])
            bar.update(2, [("loss", 3.0)])
        assert capsys.readouterr().out == ""
        assert re.fullmatch(r"2/2 - \d+s - \d+[um]?s/step - loss: 3\.0000",
                            caplog.records[-1].getMessage())
    finally:
        jl.utils.enable_interactive_logging()
    jl.utils.Progbar(1, verbose=2).update(1)
    assert capsys.readouterr().out.startswith("1/1 - ")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TIME = re.compile(r"\d+(\.\d+)?(us|ms|s)/(step|byte)|\b\d+s\b")


@pytest.mark.parametrize("verbose,target,values", [
    (2, 4, [("loss", 0.5), ("acc", 0.25)]), (1, 3, [("loss", 2.0)]), (1, None, []),
])
def test_progbar_output_matches_keras(keras, capsys, verbose, target, values):
    def run(cls):
        bar = cls(target, verbose=verbose, interval=0.0, stateful_metrics=["acc"])
        for step in range(1, 4):
            bar.update(step, [(k, v * step) for k, v in values])
        bar.update(3 if target is None else target, finalize=True)
        out = capsys.readouterr().out
        out = _TIME.sub("T", _ANSI.sub("", out))
        lines = [line.rstrip() for line in re.split(r"[\r\n\b]+", out)]
        return [line.replace("━", "=").replace("─", "=").strip() for line in lines if line]

    assert run(jl.utils.Progbar)[-1] == run(keras.utils.Progbar)[-1]


def test_progbar_argument_error():
    with pytest.raises(ConfigError, match=r"pass `stateful_metrics` or `stateless_metrics`"):
        jl.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


# ------------------------------------------------------------------ model_to_dot / plot_model
_NODE = re.compile(r'^(\d+) \[label=<.*?<b>([\w.]+)</b> \((\w+)\)', re.M)
_EDGE = re.compile(r"^(\d+) -> (\d+)", re.M)


def _graph(dot):
    """``({node name: class}, {(source name, destination name)})`` of a pydot graph."""
    text = dot.to_string()
    names = {node: (name, cls) for node, name, cls in _NODE.findall(text)}
    edges = {(names[a][0], names[b][0]) for a, b in _EDGE.findall(text)}
    return dict(names.values()), edges


def _two_input_model(lib):
    a, b = lib.Input((3,), name="a"), lib.Input((2,), name="b")
    joined = lib.layers.Concatenate(name="cat")([a, b])
    hidden = lib.layers.Dense(4, activation="relu", name="hidden")(joined)
    out = lib.layers.Dense(1, name="out")(hidden)
    aux = lib.layers.Dense(2, name="aux")(a)
    return lib.Model([a, b], [out, aux])


def test_model_to_dot_draws_the_functional_graph_as_keras(keras):
    pytest.importorskip("pydot")
    ours = jl.utils.model_to_dot(_two_input_model(jl), show_shapes=True, show_dtype=True,
                                 show_layer_activations=True, show_trainable=True)
    theirs = keras.utils.model_to_dot(_two_input_model(keras))
    assert _graph(ours) == _graph(theirs)
    nodes, edges = _graph(ours)
    assert nodes == {"a": "InputLayer", "b": "InputLayer", "cat": "Concatenate",
                     "hidden": "Dense", "out": "Dense", "aux": "Dense"}
    assert edges == {("a", "cat"), ("b", "cat"), ("cat", "hidden"), ("hidden", "out"),
                     ("a", "aux")}
    text = ours.to_string()
    assert "Input shape: <b>[(None, 3), (None, 2)]</b>" in text
    assert "Output shape: <b>(None, 5)</b>" in text and "Activation: relu" in text
    assert "Output dtype: <b>float32</b>" in text and "<b>Trainable</b>" in text
    assert "rankdir=TB" in text


def test_model_to_dot_sequential_nested_and_subclassed(keras):
    pytest.importorskip("pydot")

    def stack(lib):
        inner = lib.Sequential([lib.layers.Dense(3, name="i1"), lib.layers.Dense(2, name="i2")],
                               name="inner")
        return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, name="d1"), inner,
                               lib.layers.Dense(1, name="d2")])

    assert _graph(jl.utils.model_to_dot(stack(jl))) == _graph(keras.utils.model_to_dot(
        stack(keras)))
    nodes, edges = _graph(jl.utils.model_to_dot(stack(jl), expand_nested=True,
                                                show_shapes=True))
    assert {"i1", "i2", "d1", "d2"} <= set(nodes)
    assert {("d1", "i1"), ("i1", "i2"), ("i2", "d2")} <= edges

    class Sub(jl.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.dense = jl.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    model = Sub()
    model(np.zeros((1, 2), np.float32))
    assert _graph(jl.utils.model_to_dot(model)) == ({"sub": "Sub"}, set())
    with pytest.raises(ConfigError, match=r"model 'sequential.*' is not built yet"):
        jl.utils.model_to_dot(jl.Sequential([jl.layers.Dense(1)]))
    with pytest.raises(ConfigError, match=r"unknown arguments \['layer_range'\]"):
        jl.utils.model_to_dot(model, layer_range=["a", "b"])


def test_plot_model_writes_dot_source_and_needs_graphviz_for_images(tmp_path):
    pytest.importorskip("pydot")
    model = _two_input_model(jl)
    jl.utils.plot_model(model, to_file=str(tmp_path / "model.dot"), show_shapes=True)
    assert "cat" in (tmp_path / "model.dot").read_text()
    if shutil.which("dot") is None:
        with pytest.raises(ImportError, match=r"install pydot .* and Graphviz"):
            jl.utils.plot_model(model, to_file=str(tmp_path / "model.png"))
    else:
        jl.utils.plot_model(model, to_file=str(tmp_path / "model.svg"))
        assert (tmp_path / "model.svg").read_text().lstrip().startswith("<?xml")


def test_model_to_dot_without_pydot_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"needs pydot and Graphviz: install pydot "
                                          r"\(`pip install pydot`\)"):
        jl.utils.model_to_dot(_two_input_model(jl))
