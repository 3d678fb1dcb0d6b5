"""Activations and drawings: figures come back labelled, constant channels stay finite."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import (  # noqa: E402
    get_activations,
    layer_names,
    plot_conv_step,
    plot_feature_maps,
    plot_filters,
    plot_pipeline,
)


@pytest.fixture(autouse=True)
def fresh():
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield
    plt.close("all")


def small_cnn(dead: bool = False) -> keras.Sequential:
    """A small CNN; with dead=True its first conv has two constant channels."""
    model = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            layers.Conv2D(4, 3, activation="relu", name="conv"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Conv2D(6, 3, activation="relu", name="conv_b"),
            layers.Flatten(name="flat"),
            layers.Dense(5, name="scores"),
        ]
    )
    if dead:
        kernel, bias = model.get_layer("conv").get_weights()
        kernel[..., :2] = 0.0
        bias[:] = [0.0, 0.7, 0.1, 0.1]  # channel 0 is 0 everywhere, channel 1 is 0.7
        model.get_layer("conv").set_weights([kernel, bias])
    return model


def _texts(fig) -> str:
    parts = []
    for f in [fig, *fig.subfigs]:
        if getattr(f, "_suptitle", None) is not None:
            parts.append(f._suptitle.get_text())
    for ax in fig.get_axes():
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        parts += [t.get_text() for t in ax.texts]
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------
# get_activations
# ------------------------------------------------------------------------------------------


def test_get_activations_for_all_or_some_layers():
    model = small_cnn()
    image = np.random.default_rng(0).random((12, 12, 3))
    acts = get_activations(model, image)
    assert list(acts) == ["conv", "pool", "conv_b", "flat", "scores"] == layer_names(model)
    assert acts["pool"].shape == (1, 5, 5, 4) and acts["scores"].shape == (1, 5)
    np.testing.assert_allclose(acts["scores"], model.predict(image[None], verbose=0), atol=1e-5)
    only = get_activations(model, image[None], "conv_b")
    assert list(only) == ["conv_b"] and only["conv_b"].shape == (1, 3, 3, 6)


def test_get_activations_on_functional_and_nested_models():
    inputs = keras.Input((8, 8, 1))
    inner = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3)], name="inner")
    a = inner(inputs)
    b = layers.Conv2D(2, 3, name="side")(inputs)
    model = keras.Model(inputs, layers.Add(name="sum")([a, b]))
    acts = get_activations(model, np.ones((8, 8, 1)), ["inner", "side", "sum"])
    np.testing.assert_allclose(acts["sum"], acts["inner"] + acts["side"], atol=1e-5)
    with pytest.raises(ValueError, match="inside the nested model 'inner'"):
        get_activations(model, np.ones((8, 8, 1)), "inner/" + inner.layers[0].name)


def test_get_activations_on_a_sequential_called_once():
    model = keras.Sequential([layers.Conv2D(2, 3, name="c"), layers.Flatten(name="f")])
    model(np.zeros((1, 6, 6, 1), "float32"))
    assert get_activations(model, np.zeros((6, 6, 1)))["f"].shape == (1, 32)


def test_get_activations_bad_inputs():
    model = small_cnn()
    with pytest.raises(ValueError, match="No layer named 'nope'.*Its layers are: conv, pool"):
        get_activations(model, np.zeros((12, 12, 3)), ["conv", "nope"])
    with pytest.raises(TypeError, match="expects a Keras model"):
        get_activations("model", np.zeros((12, 12, 3)))
    with pytest.raises(ValueError, match="has not been built"):
        get_activations(keras.Sequential([layers.Dense(2)]), np.zeros((3,)))
    with pytest.raises(ValueError, match=r"expects batches of shape \(None, 12, 12, 3\)"):
        get_activations(model, np.zeros((12, 12)))
    with pytest.raises(ValueError, match="Resize or reshape"):
        get_activations(model, np.zeros((1, 10, 10, 3)))
    with pytest.raises(TypeError, match="NumPy array"):
        get_activations(model, "image.png")
    with pytest.raises(TypeError, match="layer_names must be"):
        get_activations(model, np.zeros((12, 12, 3)), [1, 2])
    with pytest.raises(ValueError, match="has not been built"):
        layer_names(keras.Sequential([layers.Dense(2)]))


# ------------------------------------------------------------------------------------------
# plot_feature_maps
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", ["shared", "per_channel"])
def test_feature_maps_with_dead_channels_have_no_nan_or_warning(scale):
    model = small_cnn(dead=True)
    image = np.random.default_rng(1).random((12, 12, 3)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_feature_maps(model, image, ["conv", "pool"], scale=scale)
        fig.canvas.draw()  # rendering would warn about a zero-width colour scale
    assert isinstance(fig, Figure)
    text = _texts(fig)
    assert "conv: 10×10×4" in text and "pool: 5×5×4" in text
    assert "ch 0 (constant)" in text and "ch 1 (constant)" in text
    for ax in fig.get_axes():
        for im in ax.get_images():
            assert np.all(np.isfinite(im.get_array())), ax.get_title()
            vmin, vmax = im.get_clim()
            assert np.isfinite([vmin, vmax]).all() and vmax > vmin


def test_feature_maps_accepts_each_image_layout_and_limits_channels():
    model = keras.Sequential([keras.Input((10, 10, 1)), layers.Conv2D(20, 3, name="wide")])
    for image in (np.ones((10, 10)), np.ones((10, 10, 1)), np.ones((1, 10, 10, 1))):
        fig = plot_feature_maps(model, image, "wide", max_channels=6)
        assert "first 6 of 20 channels" in _texts(fig)
        assert sum(bool(ax.get_images()) for ax in fig.get_axes()) == 6
        plt.close(fig)
    fig = plt.figure()
    assert plot_feature_maps(model, np.ones((10, 10)), "wide", fig=fig) is fig


def test_feature_maps_bad_inputs():
    model = small_cnn()
    image = np.zeros((12, 12, 3))
    with pytest.raises(ValueError, match="scale must be 'shared'"):
        plot_feature_maps(model, image, "conv", scale="global")
    with pytest.raises(ValueError, match="not a stack of 2-D maps"):
        plot_feature_maps(model, image, "scores")
    with pytest.raises(ValueError, match="No layer named 'conv9'"):
        plot_feature_maps(model, image, "conv9")
    with pytest.raises(ValueError, match="one image"):
        plot_feature_maps(model, np.zeros((2, 12, 12, 3)), "conv")
    with pytest.raises(ValueError, match="expects"):
        plot_feature_maps(model, np.zeros((9, 9, 3)), "conv")
    with pytest.raises(TypeError, match="NumPy array"):
        plot_feature_maps(model, [[0.0]], "conv")
    with pytest.raises(ValueError, match="max_channels"):
        plot_feature_maps(model, image, "conv", max_channels=0)
    with pytest.raises(TypeError, match="matplotlib Figure"):
        plot_feature_maps(model, image, "conv", fig="figure")


# ------------------------------------------------------------------------------------------
# plot_filters
# ------------------------------------------------------------------------------------------


def test_filters_rgb_and_single_channel():
    model = small_cnn()
    fig = plot_filters(model.get_layer("conv"))
    assert "conv: 4 filters of 3×3×3" in _texts(fig) and "RGB" in _texts(fig)
    assert sum(bool(ax.get_images()) for ax in fig.get_axes()) == 4
    fig2 = plot_filters(model.get_layer("conv_b"), max_filters=4, channel="mean")
    assert "first 4 of 6" in _texts(fig2) and "mean over input channels" in _texts(fig2)
    fig3 = plot_filters(model.get_layer("conv_b"), channel=3)
    assert "input channel 3" in _texts(fig3)


def test_filters_of_a_zero_kernel_are_finite():
    layer = layers.Conv2D(2, 3, kernel_initializer="zeros")
    layer.build((None, 5, 5, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_filters(layer)
        fig.canvas.draw()
    for ax in fig.get_axes():
        for im in ax.get_images():
            assert np.all(np.isfinite(im.get_array()))


def test_filters_bad_inputs():
    model = small_cnn()
    with pytest.raises(ValueError, match=r"2-D kernels.*'scores' has a kernel of shape \(54, 5\)"):
        plot_filters(model.get_layer("scores"))
    with pytest.raises(TypeError, match="expects a convolution layer"):
        plot_filters(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="not built"):
        plot_filters(layers.Conv2D(2, 3))
    conv1d = layers.Conv1D(2, 3)
    conv1d.build((None, 5, 1))
    with pytest.raises(ValueError, match="2-D kernels"):
        plot_filters(conv1d)
    with pytest.raises(ValueError, match="between 0 and 3"):
        plot_filters(model.get_layer("conv_b"), channel=4)


# ------------------------------------------------------------------------------------------
# plot_pipeline
# ------------------------------------------------------------------------------------------


def test_pipeline_of_the_notes_cnn():
    from test_shapes import notes_cnn

    ax = plot_pipeline(notes_cnn())
    assert isinstance(ax, Axes)
    text = _texts(ax.figure)
    for piece in (
        "input image",
        "250×250×3",
        "Conv 5×5, stride 2",
        "40×40×32",
        "MaxPool 3×3",
        "4×4×32",
        "GlobalMaxPool",
        "10 class scores",
        "49,002 parameters",
    ):
        assert piece in text, piece
    assert len(ax.patches) > 30  # boxes, bars and class cells


def test_pipeline_folds_elementwise_layers_and_uses_given_axes():
    model = keras.Sequential(
        [
            layers.Conv2D(4, 3),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(3, activation="softmax"),
        ]
    )
    fig, ax = plt.subplots()
    assert plot_pipeline(model, (8, 8, 1), ax=ax) is ax
    text = _texts(fig)
    assert "+ batch norm" in text and "+ relu" in text and "+ Dropout" in text
    assert "3 class scores" in text


def test_pipeline_bad_inputs():
    with pytest.raises(ValueError, match="input_shape"):
        plot_pipeline(keras.Sequential([layers.Conv2D(2, 3)]))
    with pytest.raises(ValueError, match="does not fit"):
        plot_pipeline(keras.Sequential([layers.Conv2D(2, 9)]), (5, 5, 1))
    inputs = keras.Input((6, 6, 1))
    branchy = keras.Model(inputs, layers.Add()([layers.Conv2D(2, 1)(inputs), inputs * 2]))
    with pytest.raises(ValueError, match="branches"):
        plot_pipeline(branchy)
    with pytest.raises(TypeError, match="Axes"):
        plot_pipeline(small_cnn(), ax="left")


# ------------------------------------------------------------------------------------------
# plot_conv_step
# ------------------------------------------------------------------------------------------


def test_conv_step_writes_the_numbers():
    image = np.arange(25).reshape(5, 5)
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    fig = plot_conv_step(image, kernel, 1, 2)
    expected = int(np.sum(image[1:4, 2:5] * kernel))
    text = _texts(fig)
    assert f"output[1, 2] = {expected}" in text and f"sum = {expected}" in text
    assert "kernel 3×3" in text and "output 3×3" in text and "input 5×5" in text
    products = fig.get_axes()[2]
    assert sorted(t.get_text() for t in products.texts) == sorted(
        str(v) for v in (image[1:4, 2:5] * kernel).ravel()
    )


def test_conv_step_matches_keras():
    rng = np.random.default_rng(3)
    image, kernel = rng.random((6, 7)), rng.random((3, 2))
    layer = layers.Conv2D(1, (3, 2), use_bias=False)
    layer.build((None, 6, 7, 1))
    layer.set_weights([kernel[:, :, None, None]])
    keras_out = np.asarray(layer(image[None, :, :, None]))[0, :, :, 0]
    fig = plot_conv_step(image, kernel, 2, 4)
    out_image = fig.get_axes()[3].get_images()[0].get_array()
    np.testing.assert_allclose(out_image, keras_out, rtol=1e-5)


def test_conv_step_bad_inputs():
    with pytest.raises(ValueError, match="2-D"):
        plot_conv_step(np.zeros((5, 5, 3)), np.ones((3, 3)), 0, 0)
    with pytest.raises(ValueError, match="larger than the image"):
        plot_conv_step(np.zeros((2, 2)), np.ones((3, 3)), 0, 0)
    with pytest.raises(ValueError, match=r"row must be an int from 0 to 2 \(the output is 3×3\)"):
        plot_conv_step(np.zeros((5, 5)), np.ones((3, 3)), 3, 0)
    with pytest.raises(TypeError, match="2-D NumPy array"):
        plot_conv_step("image", np.ones((3, 3)), 0, 0)


def test_transposed_convolution_filters_are_counted_as_keras_defines_them():
    model = keras.Sequential([keras.Input((6, 6, 3)), layers.Conv2DTranspose(5, 3, name="up")])
    fig = plot_filters(model.get_layer("up"))
    # Keras stores a transposed kernel as kh×kw×filters×inputs: 5 filters over 3 channels.
    assert fig.get_suptitle() == "up: 5 filters of 3×3×3 (RGB, each filter stretched)"
    assert len([ax for ax in fig.axes if ax.images]) == 5
    plt.close(fig)


@pytest.mark.parametrize(("names", "error"), [(None, TypeError), ([], ValueError)])
def test_feature_maps_need_layer_names(names, error):
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="c")])
    with pytest.raises(error, match="layer_names"):
        plot_feature_maps(model, np.zeros((8, 8, 1)), names)


def test_feature_maps_draw_a_repeated_layer_once():
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="c")])
    fig = plot_feature_maps(model, np.zeros((8, 8, 1)), ["c", "c"])
    assert len(fig.subfigs) == 1
    plt.close(fig)
