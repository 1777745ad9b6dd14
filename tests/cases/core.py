import jax.numpy as jnp

from jaxlayers import layers
from jaxlayers.core.serialization import register_serializable
from tests.cases import LayerCase


@register_serializable(package="tests")
def squared(x):
    return jnp.square(x)


CASES = [
    LayerCase(layers.Dense, dict(units=4), input_shapes=((3, 5),), n_params=2, n_state=0),
    LayerCase(layers.Dense, dict(units=3, activation="relu", use_bias=False,
                                 kernel_regularizer="l2"), input_shapes=((2, 4, 5),),
              n_params=1, id="Dense-rank3-nobias"),
    LayerCase(layers.EinsumDense, dict(equation="abc,cde->abde", output_shape=(None, 2, 3),
                                       bias_axes="de"), input_shapes=((2, 4, 5),),
              n_params=2),
    LayerCase(layers.EinsumDense, dict(equation="...b,bc->...c", output_shape=(6,),
                                       activation="tanh"), input_shapes=((2, 3, 5),),
              n_params=1, id="EinsumDense-ellipsis"),
    LayerCase(layers.Activation, dict(activation="softmax"), input_shapes=((3, 5),),
              n_params=0),
    LayerCase(layers.Identity, {}, input_shapes=((3, 5),), n_params=0),
    LayerCase(layers.Embedding, dict(input_dim=10, output_dim=4, mask_zero=True),
              input_shapes=((3, 5),), input_dtype="int32", int_max=10, n_params=1),
    LayerCase(layers.Masking, dict(mask_value=0.0), input_shapes=((2, 4, 3),), n_params=0),
    LayerCase(layers.Lambda, dict(function=squared), input_shapes=((3, 5),), n_params=0),
]
