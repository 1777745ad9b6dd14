"""Multi-output models in fit/evaluate/predict: each head meets its own targets, loss and metrics.

The model's output order is JAX's flattening order (dict keys sorted, at every
level), whatever order the user wrote a dict in; these tests write dicts whose
insertion order differs from the sorted one, and nested structures.
"""

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers import errors

L = jl.layers


def _mse(y, p):
    return float(np.mean((np.asarray(y, np.float64) - p) ** 2))


def _mae(y, p):
    return float(np.mean(np.abs(np.asarray(y, np.float64) - p)))


def _sparse_ce(labels, logits):
    logits = np.asarray(logits, np.float64)
    logp = logits - logits.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    return float(-np.mean(logp[np.arange(len(labels)), labels]))


def _two_head_model(api=jl):
    """Heads of different widths, written in an order that differs from the sorted one."""
    inputs = api.Input(shape=(4,), name="x")
    hidden = api.layers.Dense(6, activation="tanh", name="hidden")(inputs)
    second = api.layers.Dense(3, name="second_head")(hidden)  # logits for sparse labels
    first = api.layers.Dense(1, name="first_head")(hidden)  # a regression value
    return api.Model(inputs, {"second": second, "first": first})


def _two_heads(rng, n=24):
    x = rng.standard_normal((n, 4)).astype("float32")
    y = {"second": rng.integers(0, 3, n).astype("int32"),
         "first": rng.standard_normal((n, 1)).astype("float32")}
    return _two_head_model(), x, y


def _compile_two_heads(model, api=jl):
    """The same compile for jaxlayers and (``api=keras``) Keras."""
    model.compile(
        optimizer=api.optimizers.SGD(0.1),
        loss={"second": api.losses.SparseCategoricalCrossentropy(from_logits=True),
              "first": "mse"},
        loss_weights={"second": 2.0, "first": 0.5},
        metrics={"second": ["sparse_categorical_accuracy"], "first": ["mae"]},
    )


def test_dict_outputs_in_unsorted_order_pair_each_head_with_its_own_data(rng):
    model, x, y = _two_heads(rng)
    _compile_two_heads(model)
    pred = model.predict(x, verbose=0)
    assert set(pred) == {"second", "first"}
    assert pred["second"].shape == (24, 3) and pred["first"].shape == (24, 1)

    logs = model.evaluate(x, y, batch_size=24, verbose=0, return_dict=True)
    second_loss = _sparse_ce(y["second"], pred["second"])
    first_loss = _mse(y["first"], pred["first"])
    np.testing.assert_allclose(logs["second_loss"], second_loss, rtol=1e-5)
    np.testing.assert_allclose(logs["first_loss"], first_loss, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], 2.0 * second_loss + 0.5 * first_loss, rtol=1e-5)
    np.testing.assert_allclose(logs["first_mae"], _mae(y["first"], pred["first"]), rtol=1e-5)
    accuracy = np.mean(pred["second"].argmax(-1) == y["second"])
    np.testing.assert_allclose(logs["second_sparse_categorical_accuracy"], accuracy, rtol=1e-6)

    # Targets as a list follow the model's output order, the sorted one: [first, second].
    as_list = model.evaluate(x, [y["first"], y["second"]], batch_size=24, verbose=0,
                             return_dict=True)
    assert as_list == pytest.approx(logs, rel=1e-6)


def test_two_head_dict_model_trains_to_a_lower_finite_loss(rng):
    model, x, y = _two_heads(rng, n=32)
    _compile_two_heads(model)
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))
    assert history["loss"][-1] < history["loss"][0]
    assert history["second_loss"][-1] < history["second_loss"][0]


def test_per_output_sample_weights_by_name(rng):
    model, x, y = _two_heads(rng)
    _compile_two_heads(model)
    pred = model.predict(x, verbose=0)
    w = np.zeros(24, "float32")
    w[:12] = 1.0
    logs = model.evaluate(x, y, sample_weight={"first": w, "second": np.ones(24, "float32")},
                          batch_size=24, verbose=0, return_dict=True)
    # sum_over_batch_size: the weighted sum over the whole batch size.
    first = float(np.sum((y["first"][:, 0] - pred["first"][:, 0]) ** 2 * w) / 24)
    np.testing.assert_allclose(logs["first_loss"], first, rtol=1e-5)
    np.testing.assert_allclose(logs["second_loss"], _sparse_ce(y["second"], pred["second"]),
                               rtol=1e-5)


def test_nested_output_structure(rng):
    inputs = jl.Input(shape=(3,))
    a = L.Dense(2, name="head_a")(inputs)
    c = L.Dense(1, name="head_c")(inputs)
    d = L.Dense(4, name="head_d")(inputs)
    model = jl.Model(inputs, {"z": a, "b": {"d": d, "c": c}})
    model.compile("sgd", loss={"z": "mae", "b": {"d": "mse", "c": "mae"}})
    n = 10
    x = rng.standard_normal((n, 3)).astype("float32")
    y = {"z": rng.standard_normal((n, 2)), "b": {"d": rng.standard_normal((n, 4)),
                                                 "c": rng.standard_normal((n, 1))}}
    pred = model.predict(x, verbose=0)
    assert pred["z"].shape == (n, 2) and pred["b"]["d"].shape == (n, 4)
    assert pred["b"]["c"].shape == (n, 1)
    logs = model.evaluate(x, y, batch_size=n, verbose=0, return_dict=True)
    # Nested outputs are named by their layers.
    np.testing.assert_allclose(logs["head_a_loss"], _mae(y["z"], pred["z"]), rtol=1e-5)
    np.testing.assert_allclose(logs["head_d_loss"], _mse(y["b"]["d"], pred["b"]["d"]),
                               rtol=1e-5)
    np.testing.assert_allclose(logs["head_c_loss"], _mae(y["b"]["c"], pred["b"]["c"]),
                               rtol=1e-5)
    history = model.fit(x, y, batch_size=5, epochs=2, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))


def test_unknown_output_names_are_named_errors(rng):
    model, x, y = _two_heads(rng)
    model.compile("sgd", loss={"second": "mse", "thrid": "mse"})
    with pytest.raises(errors.ConfigError, match=r"`loss` names outputs \['thrid'\] that the "
                                                 r"model does not have\. Output names: "
                                                 r"\['first', 'second'\]"):
        model.evaluate(x, y, verbose=0)
    _compile_two_heads(model)
    with pytest.raises(errors.DataError, match=r"`y` names outputs \['frist'\]"):
        model.evaluate(x, {"second": y["second"], "frist": y["first"]}, verbose=0)
    with pytest.raises(errors.DataError, match=r"has 2 outputs \['first', 'second'\], so `y` "
                                               r"must be a dict by output name"):
        model.evaluate(x, y["first"], verbose=0)


def test_dict_outputs_match_keras(keras, rng):
    model, x, y = _two_heads(rng, n=16)
    _compile_two_heads(model)

    k_model = _two_head_model(keras)
    for name in ("hidden", "second_head", "first_head"):
        k_model.get_layer(name).set_weights(model.get_layer(name).get_weights())
    _compile_two_heads(k_model, api=keras)
    ours = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    theirs = k_model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-5, err_msg=key)

    # One full-batch SGD step each: the same gradients reach the same heads.
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    k_model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for name in ("hidden", "second_head", "first_head"):
        for a, b in zip(model.get_layer(name).get_weights(),
                        k_model.get_layer(name).get_weights()):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6, err_msg=name)
