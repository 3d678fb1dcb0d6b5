"""The explorers' logic agrees with Keras and TensorFlow; their static forms draw."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import (  # noqa: E402
    ConvState,
    conv_explorer,
    conv_explorer_state,
    gradient_explorer,
    plot_conv_explorer_grid,
    plot_gradient_states,
    tangent_line,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_states_agree_with_keras_conv1d():
    count = 0
    for n, k, s, d, padding in itertools.product(
        (4, 7, 10), range(1, 6), range(1, 4), range(1, 4), ("valid", "same", "causal")
    ):
        state = conv_explorer_state(n, k, s, padding, d)
        try:
            layer = keras.layers.Conv1D(1, k, strides=s, padding=padding, dilation_rate=d)
            expected = layer.compute_output_shape((None, n, 1))[1]
        except ValueError:
            expected = None
        assert state.valid == (expected is not None), (n, k, s, d, padding)
        assert state.output_size == expected
        assert len(state.positions) == (expected or 0)
        count += 1
    assert count == 405


def test_positions_are_the_inputs_each_output_reads():
    """A one-hot input lights up exactly the outputs whose taps include it."""
    for n, k, s, d, padding in [
        (7, 3, 2, 1, "same"),
        (8, 4, 1, 1, "same"),
        (9, 3, 1, 2, "valid"),
        (6, 3, 1, 2, "causal"),
        (7, 2, 3, 1, "valid"),
    ]:
        state = conv_explorer_state(n, k, s, padding, d)
        layer = keras.layers.Conv1D(
            1,
            k,
            strides=s,
            padding=padding,
            dilation_rate=d,
            kernel_initializer="ones",
            use_bias=False,
        )
        for j in range(n):
            x = np.zeros((1, n, 1), "float32")
            x[0, j, 0] = 1.0
            y = np.asarray(layer(x))[0, :, 0]
            reads_j = [j in taps for taps in state.positions]
            assert list(y > 0) == reads_j, (n, k, s, d, padding, j)


def test_state_details():
    s = conv_explorer_state(7, 4, padding="same")
    assert (s.pad_before, s.pad_after) == (1, 2)
    assert s.positions[0] == (-1, 0, 1, 2) and s.positions[-1] == (5, 6, -1, -1)
    assert "1 before, 2 after" in s.formula
    rejected = conv_explorer_state(9, 3, 2, "valid", 2)
    assert not rejected.valid and rejected.output_size is None
    assert "dilation_rate > 1" in rejected.message
    too_big = conv_explorer_state(3, 5)
    assert not too_big.valid and "does not fit" in too_big.message
    assert isinstance(s, ConvState)


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((7.5, 3), TypeError, "input_size must be an integer"),
        ((7, 0), ValueError, "kernel_size must be at least 1"),
        ((7, 3, 1, "full"), ValueError, "padding must be one of"),
        ((7, 3, 1, "valid", "2"), TypeError, "dilation must be an integer"),
    ],
)
def test_state_bad_inputs(args, error, words):
    with pytest.raises(error) as info:
        conv_explorer_state(*args)
    assert words in str(info.value)


def test_static_grid_of_states():
    fig = plot_conv_explorer_grid(
        [
            (7, 3, 1),
            {"input_size": 7, "kernel_size": 3, "stride": 2, "padding": "same"},
            conv_explorer_state(9, 3, 2, "valid", 2),
        ],
        ncols=3,
    )
    titles = [ax.get_title() for ax in fig.get_axes()]
    assert titles[0].endswith("output 5: 7 − 3 + 1 = 5")
    assert "output 4: ⌈7 / 2⌉ = 4" in titles[1]
    assert "rejected by Keras" in titles[2]
    with pytest.raises(TypeError, match="list of settings"):
        plot_conv_explorer_grid(conv_explorer_state(7, 3))
    with pytest.raises(TypeError, match="Each state must be"):
        plot_conv_explorer_grid(["7, 3"])
    with pytest.raises(ValueError, match="empty"):
        plot_conv_explorer_grid([])


def test_conv_explorer_widget_builds():
    import ipywidgets

    widget = conv_explorer(input_size=8, kernel_size=3, stride=2, padding="same")
    assert isinstance(widget, ipywidgets.VBox)
    sliders = [w for w in widget.children[0].children[0].children]
    assert [s.description for s in sliders] == ["input size", "kernel"]
    sliders[1].value = 5  # moving a slider recomputes without error


def test_tangent_line_from_the_tape():
    import tensorflow as tf

    assert tangent_line(lambda x: x**2, 3.0) == pytest.approx((6.0, -9.0))
    slope, intercept = tangent_line(tf.sin, 0.5)
    assert slope == pytest.approx(np.cos(0.5), rel=1e-6)
    assert intercept == pytest.approx(np.sin(0.5) - np.cos(0.5) * 0.5, rel=1e-5)
    assert tangent_line(None, 2) == pytest.approx((4.0, -4.0))  # default f is x**2


def test_tangent_line_bad_inputs():
    with pytest.raises(ValueError, match="no gradient"):
        tangent_line(lambda x: np.float32(3.0), 1.0)
    with pytest.raises(TypeError, match="f must be a function"):
        tangent_line("x**2", 1.0)
    with pytest.raises(TypeError, match="x0 must be a number"):
        tangent_line(lambda x: x, "1")


def test_gradient_states_and_widget():
    import ipywidgets
    import tensorflow as tf

    fig = plot_gradient_states(tf.sin, [-2.0, 0.0, 1.5])
    axes = fig.get_axes()
    assert len(axes) == 3 and axes[1].get_title() == "x = 0: slope f'(x) = 1"
    assert axes[0].get_xlabel() == "x" and axes[0].get_ylabel() == "f(x)"
    assert isinstance(gradient_explorer(lambda x: x**3 - x, x_range=(-2, 2)), ipywidgets.VBox)
    with pytest.raises(ValueError, match="x_range"):
        plot_gradient_states(None, [0.0], x_range=(2, -2))
    with pytest.raises(TypeError, match="non-empty list"):
        plot_gradient_states(None, 1.0)


def test_explorers_bad_inputs():
    with pytest.raises(ValueError, match="padding must be one of"):
        conv_explorer(padding="full")
    with pytest.raises(TypeError, match="kernel_size must be an integer"):
        conv_explorer(kernel_size=2.5)
    with pytest.raises(TypeError, match="f must be a function"):
        gradient_explorer(f="x**2")
    with pytest.raises(ValueError, match="x_range must be"):
        gradient_explorer(x_range=(1, 1))
    wide = conv_explorer(input_size=40)  # sliders widen to fit the starting values
    assert wide.children[0].children[0].children[0].value == 40


def test_explorers_print_nothing_and_read_as_one_sentence(capsys):
    # A static page (the website, nbval) sees only the widget's text form and the cell's output.
    explorers = [conv_explorer(), gradient_explorer()]
    assert capsys.readouterr() == ("", "")
    for explorer, name in zip(explorers, ["Convolution", "Gradient"], strict=True):
        assert repr(explorer) == (
            f"{name} explorer: a live widget; "
            "run this notebook in Jupyter, Binder or Colab to use it."
        )
        output = explorer.children[-1]
        kinds = [item["output_type"] for item in output.outputs]
        assert kinds == ["display_data", "stream"]
        assert output.outputs[0]["data"]["image/png"]


@pytest.mark.parametrize(
    ("f", "x0", "error", "words"),
    [
        (lambda x: x.no_such_method(), 1.0, TypeError, "calling it at x = 1.0 failed with"),
        (lambda x: [x, 2 * x], 1.0, ValueError, "f must return a scalar, but f"),
        ("sqrt", 0.0, ValueError, "not finite at x0 = 0.0"),
    ],
)
def test_tangent_line_explains_functions_it_cannot_use(f, x0, error, words):
    import tensorflow as tf

    f = tf.sqrt if f == "sqrt" else f
    with pytest.raises(error, match=words):
        tangent_line(f, x0)
