"""One optimizer step under ``fit`` for every ``jl.applications`` family.

MobileNet (test_applications_a) and ConvNeXt (test_applications_b) already train a
step and compare it with Keras; here each other family's smallest variant, at the
smallest input it accepts and with a two-class top, trains one SGD step on two
images. The loss must be finite and every layer with trainable weights must see
at least one of them move: the gradient reaches every layer, through every branch,
merge and normalization of the family. (Not every weight: the ``beta`` of a batch
norm whose output reaches another training-mode batch norm through a linear
layer only has an exact zero gradient, since a per-channel shift is removed again
by the next batch norm's mean.)

The weights come from NumPy (``random_weights``): drawing the initializers' own
compiles one program of a few hundred random draws, which costs about as much as
the step. The step is ``fit``'s jitted one: ``run_eagerly=True`` dispatches each op
of the backward pass on its own and, measured, costs more CPU time (ResNet50: 27
CPU-s eager against 16 jitted).

Compiling one step of a deep family costs 5 to 40 CPU-s (DenseNet121 and the
Inception and NASNet graphs the most). The suite's time budget takes the cheaper
families; the costliest run when ``JAXLAYERS_TEST_HEAVY_APPLICATIONS=1`` is set.
"""

import os

import numpy as np
import pytest

import jaxlayers as jl
from tests.helpers import random_weights

_HEAVY = pytest.mark.skipif(
    os.environ.get("JAXLAYERS_TEST_HEAVY_APPLICATIONS") != "1",
    reason="11 to 41 CPU-s per step compile; set JAXLAYERS_TEST_HEAVY_APPLICATIONS=1")

# (variant, input size, extra arguments): the smallest of each family. Measured CPU
# seconds per test (a loaded 2-core machine) in the comments.
FAMILIES = [
    ("VGG16", 32, {}),  # 5
    pytest.param("ResNet50", 32, {}, marks=_HEAVY),  # 11; ResNet50V2 shares its builder
    ("ResNet50V2", 32, {}),  # 11
    pytest.param("InceptionV3", 75, {}, marks=_HEAVY),  # 18
    pytest.param("InceptionResNetV2", 75, {}, marks=_HEAVY),  # 34
    ("Xception", 71, {}),  # 14: separable convolutions
    ("MobileNetV2", 32, {"alpha": 0.35}),  # 14
    ("MobileNetV3Small", 32, {"alpha": 0.75}),  # 15
    pytest.param("DenseNet121", 32, {}, marks=_HEAVY),  # 41
    pytest.param("NASNetMobile", 32, {}, marks=_HEAVY),  # 37
    ("EfficientNetB0", 32, {}),  # 21
    pytest.param("EfficientNetV2B0", 32, {}, marks=_HEAVY),  # 21; MBConv as EfficientNet
]


def _variant(case):
    return case.values[0] if hasattr(case, "values") else case[0]

# Families whose step is tested next to their Keras comparison, and variants that
# share a family's builder (VGG19: VGG16's blocks; ResNet101/152: ResNet50's stacks).
TESTED_ELSEWHERE = {"mobilenet", "convnext"}
SAME_BUILDER = {"vgg19": "vgg16", "resnet50": "resnet"}


def _family(variant):
    module = getattr(jl.applications, variant).__module__.rsplit(".", 1)[-1]
    return SAME_BUILDER.get(module, module)


def test_every_family_has_a_fit_step():
    modules = {getattr(jl.applications, name).__module__.rsplit(".", 1)[-1]
               for name in jl.applications.__all__ if name[0].isupper()}
    families = {SAME_BUILDER.get(m, m) for m in modules}
    assert families == {_family(_variant(c)) for c in FAMILIES} | TESTED_ELSEWHERE


@pytest.mark.slow
@pytest.mark.parametrize("variant, size, kwargs", FAMILIES, ids=[_variant(c) for c in FAMILIES])
def test_one_fit_step_reaches_every_layer(variant, size, kwargs, rng):
    model = getattr(jl.applications, variant)(weights=None, input_shape=(size, size, 3),
                                              classes=2, **kwargs)
    model.set_weights(random_weights(model, rng))
    before = {id(w): np.asarray(w) for w in model.trainable_weights}
    model.compile(optimizer=jl.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    x = rng.uniform(0, 1, (2, size, size, 3)).astype("float32")
    loss = model.train_on_batch(x, np.array([0, 1]))
    assert np.isfinite(loss) and loss > 0
    trained = [layer for layer in model.layers if layer.trainable_weights]
    assert len(trained) > 10 and len(model.trainable_weights) == len(before)
    assert [layer.name for layer in trained
            if all(np.array_equal(np.asarray(w), before[id(w)])
                   for w in layer.trainable_weights)] == []
    assert all(np.isfinite(np.asarray(w)).all() for w in model.weights)
