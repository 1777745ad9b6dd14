"""``jl.utils.Config`` against ``keras.utils.Config``; ``jl.saving.get_custom_objects``."""

import copy
import json

import pytest

import jaxlayers as jl
from jaxlayers.errors import StateError


def _script(config):
    """The same edits and reads on a Keras or a jaxlayers ``Config``."""
    config.optimizer = "adam"
    config["seed"] = 7
    config.update({"momentum": 0.9}, beta=2)
    popped = config.pop("beta")
    missing = config.pop("nothing", "default")
    config.zeta = [1, 2]
    del config["zeta"]
    return {
        "items": list(config.items()), "keys": list(config.keys()),
        "values": list(config.values()), "iter": list(config), "len": len(config),
        "as_dict": config.as_dict(), "json": json.loads(config.to_json()),
        "attr": (config.learning_rate, config.optimizer, config["seed"]),
        "get": (config.get("seed"), config.get("absent", 3)),
        "contains": ("seed" in config, "absent" in config), "popped": (popped, missing),
        "repr": repr(config),
    }


def test_config_behaves_as_keras(keras):
    ours = jl.utils.Config(learning_rate=0.1, alpha=1)
    theirs = keras.utils.Config(learning_rate=0.1, alpha=1)
    assert _script(ours) == _script(theirs)
    assert ours.frozen is theirs.frozen is False


def test_frozen_config_refuses_every_change():
    config = jl.utils.Config(a=1)
    config.freeze()
    assert config.frozen
    changes = (lambda: setattr(config, "b", 2), lambda: config.__setitem__("a", 2),
               lambda: config.__delitem__("a"), lambda: config.pop("a"),
               lambda: config.update(a=3))
    for change in changes:
        with pytest.raises(StateError, match=r"Config: it is frozen; call `unfreeze\(\)`"):
            change()
    assert config.as_dict() == {"a": 1}
    config.unfreeze()
    config.b = 2
    assert config.as_dict() == {"a": 1, "b": 2}


def test_config_as_dict_is_a_copy_and_typos_get_a_hint():
    config = jl.utils.Config(learning_rate=0.1)
    config.as_dict()["learning_rate"] = 5
    assert config.learning_rate == 0.1
    with pytest.raises(AttributeError, match=r"unknown attribute 'learning_rat'. Did you mean "
                                             r"'learning_rate'\?"):
        config.learning_rat  # noqa: B018
    # copy, deepcopy and hasattr probe attributes before ``_config`` exists or is set.
    clone = copy.deepcopy(config)
    assert clone.as_dict() == {"learning_rate": 0.1} and not hasattr(config, "other")


def test_get_custom_objects_has_one_home():
    assert jl.saving.get_custom_objects is jl.utils.get_custom_objects
    assert "get_custom_objects" in jl.saving.__all__

    @jl.saving.register_keras_serializable(package="i14bbox")
    def scaled(x):
        return 2 * x

    assert jl.saving.get_custom_objects()["i14bbox>scaled"] is scaled
