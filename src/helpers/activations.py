"""What each layer of a Keras model outputs for a given input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

__all__ = ["get_activations", "layer_names"]


def _check_model(model, func: str):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"{func} expects a Keras model (keras.Sequential or keras.Model), got "
            f"{type(model).__name__}."
        )
    if _is_subclassed(model):
        raise ValueError(
            f"Model {model.name!r} is a subclassed keras.Model ({type(model).__name__}): its "
            "call() is Python code, so its layers' outputs cannot be read from outside. Write it "
            "as a Functional model (keras.Input, then layers called in turn) to inspect it."
        )
    if not model.built or not _has_inputs(model):
        raise ValueError(
            f"Model {model.name!r} has not been built, so its layers have no outputs to read "
            "yet. Start it with keras.Input(shape), or call it once on data (model(x)) or "
            "model.build((None, *shape)) first."
        )


def _is_subclassed(model) -> bool:
    import keras

    return not isinstance(model, keras.Sequential) and not hasattr(model, "_operations_by_depth")


def _has_inputs(model) -> bool:
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False


def layer_names(model: keras.Model) -> list[str]:
    """The names of a built model's layers, in order (without the input layer).

    Example:
        >>> layer_names(model)  # doctest: +SKIP
        ['conv2d', 'max_pooling2d', 'flatten', 'dense']
    """
    from keras.layers import InputLayer

    _check_model(model, "layer_names")
    return [layer.name for layer in model.layers if not isinstance(layer, InputLayer)]


def _nested_owner(model, name: str) -> str | None:
    """The name of the nested model that holds a layer called ``name``, if any."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            if any(inner.name == name for inner in layer.layers):
                return layer.name
            if _nested_owner(layer, name):
                return layer.name
    return None


def _as_batch(model, x) -> np.ndarray:
    if hasattr(x, "numpy"):
        x = x.numpy()
    if not isinstance(x, np.ndarray | list | tuple):
        raise TypeError(f"x must be a NumPy array or tensor of input data, got {type(x).__name__}.")
    x = np.asarray(x)
    if x.dtype == object or not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"x must hold numbers, got an array of dtype {x.dtype}.")
    expected = tuple(model.inputs[0].shape)  # includes the batch axis
    if x.ndim == len(expected) - 1:
        x = x[None]
    if x.ndim != len(expected):
        raise ValueError(
            f"x has shape {x.shape}, but the model expects batches of shape {expected} "
            f"(or one example of shape {expected[1:]}). Reshape x to match."
        )
    for got, want in zip(x.shape[1:], expected[1:], strict=True):
        if want is not None and got != want:
            raise ValueError(
                f"x has shape {x.shape}, but the model expects {expected}. Resize or reshape "
                "the input to match."
            )
    return x.astype("float32", copy=False)


def get_activations(
    model: keras.Model, x: np.ndarray, layer_names: Sequence[str] | str | None = None
) -> dict[str, np.ndarray]:
    """Run ``x`` through ``model`` and return the output of each chosen layer.

    Works for Sequential and Functional Keras 3 models, using only public APIs: a
    ``keras.Model(model.inputs, [layer.output, ...])`` that shares the model's weights.

    Args:
        model: a built Keras model (started with ``keras.Input``, or called once).
        x: a batch of inputs, or a single example (a batch axis is then added).
        layer_names: one name, a list of names, or ``None`` for every layer. Layers inside a
            nested model cannot be chosen; choose the nested model itself.

    Returns:
        A dict from layer name to its output as a NumPy array (with the batch axis), in the
        order the names were given (or the model's order).

    Raises:
        TypeError: ``model`` is not a Keras model, or ``x`` is not numeric data.
        ValueError: the model is not built, ``x`` has the wrong shape, or a name is unknown
            (the message lists the names there are).

    Example:
        >>> acts = get_activations(model, image, ["conv2d", "max_pooling2d"])  # doctest: +SKIP
        >>> acts["conv2d"].shape  # doctest: +SKIP
        (1, 26, 26, 8)
    """
    import keras

    _check_model(model, "get_activations")
    available = {layer.name: layer for layer in model.layers}
    names_in_order = [n for n in available if type(available[n]).__name__ != "InputLayer"]
    if layer_names is None:
        chosen = names_in_order
    elif isinstance(layer_names, str):
        chosen = [layer_names]
    elif isinstance(layer_names, Sequence) and all(isinstance(n, str) for n in layer_names):
        chosen = list(layer_names)
    else:
        raise TypeError(
            f"layer_names must be a layer name, a list of names or None, got {layer_names!r}."
        )
    if not chosen:
        raise ValueError("layer_names is empty; name at least one layer.")
    unknown = [n for n in chosen if n not in available]
    if unknown:
        nested = _nested_owner(model, unknown[0].split("/")[-1])
        extra = (
            f" {unknown[0]!r} is inside the nested model {nested!r}, whose inner layers cannot "
            f"be read from the outer model: pass {nested!r}, or call get_activations on "
            f"model.get_layer({nested!r}) with that model's input."
            if nested
            else ""
        )
        raise ValueError(
            f"No layer named {', '.join(repr(n) for n in unknown)} in model {model.name!r}. "
            f"Its layers are: {', '.join(names_in_order)}.{extra}"
        )
    if len(model.inputs) != 1:
        raise ValueError(
            f"get_activations supports models with one input; {model.name!r} has "
            f"{len(model.inputs)}."
        )
    outputs = []
    for name in chosen:
        try:
            outputs.append(available[name].output)
        except (AttributeError, ValueError) as exc:
            raise ValueError(
                f"Layer {name!r} is used more than once or is not connected to this model's "
                f"input, so it has no single output to read ({exc})."
            ) from None
    probe = keras.Model(model.inputs[0], outputs)
    batch = _as_batch(model, x)
    values = probe(batch, training=False)
    if not isinstance(values, list | tuple):
        values = [values]
    return {
        name: np.asarray(keras.ops.convert_to_numpy(v))
        for name, v in zip(chosen, values, strict=True)
    }
