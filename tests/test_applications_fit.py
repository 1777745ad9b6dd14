"""One optimizer step under ``fit`` for every ``jl.applications`` family.

MobileNet (test_applications_a) and ConvNeXt (test_applications_b) already train a
step and compare it with Keras; here each other family's smallest variant, at the
smallest input it accepts and with a two-class top, trains one SGD step on two
images. The loss must be finite and every trainable weight must move: the gradient
reaches every layer, through every branch, merge and normalization of the family.

The weights come from NumPy (``random_weights``): drawing the initializers' own
compiles one program of a few hundred random draws, which costs about as much as
the step. The step is ``fit``'s jitted one: ``run_eagerly=True`` dispatches each op
of the backward pass on its own and, measured, costs more CPU time (ResNet50: 27
CPU-s eager against 16 jitted).
"""

import numpy as np
import pytest

import jaxlayers as jl
from tests.helpers import random_weights

# (variant, input size, extra arguments): the smallest of each family.
FAMILIES = [
    ("VGG16", 32, {}),
    ("ResNet50", 32, {}),
    ("ResNet50V2", 32, {}),
    ("InceptionV3", 75, {}),
    ("InceptionResNetV2", 75, {}),
    ("Xception", 71, {}),
    ("MobileNetV2", 32, {"alpha": 0.35}),
    ("MobileNetV3Small", 32, {"alpha": 0.75}),
    ("DenseNet121", 32, {}),
    ("NASNetMobile", 32, {}),
    ("EfficientNetB0", 32, {}),
    ("EfficientNetV2B0", 32, {}),
]
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
    assert families == {_family(v) for v, _, _ in FAMILIES} | TESTED_ELSEWHERE


@pytest.mark.slow
@pytest.mark.parametrize("variant, size, kwargs", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_one_fit_step_moves_every_trainable_weight(variant, size, kwargs, rng):
    model = getattr(jl.applications, variant)(weights=None, input_shape=(size, size, 3),
                                              classes=2, **kwargs)
    model.set_weights(random_weights(model, rng))
    before = [np.asarray(w) for w in model.trainable_weights]
    model.compile(optimizer=jl.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    x = rng.uniform(0, 1, (2, size, size, 3)).astype("float32")
    loss = model.train_on_batch(x, np.array([0, 1]))
    assert np.isfinite(loss) and loss > 0
    after = [np.asarray(w) for w in model.trainable_weights]
    assert len(after) == len(before) > 0
    assert [w.path for w, a, b in zip(model.trainable_weights, after, before)
            if np.array_equal(a, b)] == []
    assert all(np.isfinite(a).all() for a in after)
