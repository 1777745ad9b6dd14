"""One optimizer step under ``fit`` for every ``jl.applications`` family.

MobileNet (test_applications_a) and ConvNeXt (test_applications_b) already train a
step and compare it with Keras; here every other family trains one SGD step on two
images with a two-class top. The loss must be finite and every layer with trainable
weights must see at least one of them move: the gradient reaches every layer,
through every branch, merge and normalization of the family. (Not every weight: the
``beta`` of a batch norm whose output reaches another training-mode batch norm
through a linear layer only has an exact zero gradient, since a per-channel shift is
removed again by the next batch norm's mean.)

The cheaper families train their smallest variant at the smallest input it accepts.
The six deepest (ResNet50, InceptionV3, InceptionResNetV2, DenseNet121, NASNetMobile,
EfficientNetV2B0: 11 to 41 CPU-s each to compile a step) train their own trunk
builder at one block or module per stage: every kind of block, cell, merge and
transition of the family is there, and the builders are the ones the full variants
use (whose outputs test_applications_a/b compare with Keras's, weight for weight).

The weights come from NumPy (``random_weights``): drawing the initializers' own
compiles one program of a few hundred random draws, which costs about as much as
the step. The step is ``fit``'s jitted one: ``run_eagerly=True`` dispatches each op
of the backward pass on its own and, measured, costs more CPU time (ResNet50: 27
CPU-s eager against 16 jitted).
"""

import numpy as np
import pytest

import jaxlayers as jl
from jaxlayers.applications import (
    densenet,
    efficientnet_v2,
    inception_resnet_v2,
    inception_v3,
    nasnet,
    resnet,
)
from tests.helpers import random_weights


def _variant(name, size, **kwargs):
    """The smallest variant of a family, as users build it."""
    def build():
        return getattr(jl.applications, name)(weights=None, input_shape=(size, size, 3),
                                              classes=2, **kwargs)
    build.family = getattr(jl.applications, name).__module__
    return build


def _trunk(features, size, *args):
    """A family's trunk builder at reduced depth (``args``) under a two-class top."""
    def build():
        image = jl.Input((size, size, 3))
        x = jl.layers.GlobalAveragePooling2D()(features(image, *args))
        return jl.Model(image, jl.layers.Dense(2, activation="softmax")(x))
    build.family = features.__module__
    return build


def _shallow_resnet():
    # ResNet50's V1 blocks, one per stage (ResNet50V2 trains its own variant above).
    return resnet.build_resnet("ResNet50", (1, 1, 1, 1), False, weights=None,
                               input_shape=(32, 32, 3), classes=2, name="resnet_shallow",
                               weights_name="resnet50")


_shallow_resnet.family = resnet.__name__

# (test id, builder): measured CPU seconds per test (a loaded 2-core machine) in the comments.
FAMILIES = [
    ("VGG16", _variant("VGG16", 32)),  # 5
    ("ResNet50-1111", _shallow_resnet),
    ("ResNet50V2", _variant("ResNet50V2", 32)),  # 11
    ("InceptionV3-trunk", _trunk(inception_v3.inception_v3_features, 75, (32,), (128,), 1)),
    ("InceptionResNetV2-trunk", _trunk(inception_resnet_v2.inception_resnet_v2_features, 75,
                                       (1, 1, 2))),
    ("Xception", _variant("Xception", 71)),  # 14: separable convolutions
    ("MobileNetV2", _variant("MobileNetV2", 32, alpha=0.35)),  # 14
    ("MobileNetV3Small", _variant("MobileNetV3Small", 32, alpha=0.75)),  # 15
    ("DenseNet-1111", _trunk(densenet.densenet_features, 32, (1, 1, 1, 1))),
    ("NASNetMobile-1", _trunk(nasnet.nasnet_features, 32, 1056, 1, 32, False)),
    ("EfficientNetB0", _variant("EfficientNetB0", 32)),  # 21
    ("EfficientNetV2B0-trunk", _trunk(efficientnet_v2.efficientnet_v2_features, 32,
                                      efficientnet_v2.STAGES["b"], 1.0, 0.01)),
]
# Families whose step is tested next to their Keras comparison, and variants that
# share a family's builder (VGG19: VGG16's blocks; ResNet101/152: ResNet50's stacks).
TESTED_ELSEWHERE = {"mobilenet", "convnext"}
SAME_BUILDER = {"vgg19": "vgg16", "resnet50": "resnet"}


def _family(module):
    module = module.rsplit(".", 1)[-1]
    return SAME_BUILDER.get(module, module)


def test_every_family_has_a_fit_step():
    modules = {getattr(jl.applications, name).__module__
               for name in jl.applications.__all__ if name[0].isupper()}
    families = {_family(m) for m in modules}
    assert families == {_family(build.family) for _, build in FAMILIES} | TESTED_ELSEWHERE


@pytest.mark.slow
@pytest.mark.parametrize("build", [b for _, b in FAMILIES], ids=[i for i, _ in FAMILIES])
def test_one_fit_step_reaches_every_layer(build, rng):
    model = build()
    size = model.input_shape[1]
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
