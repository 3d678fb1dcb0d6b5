"""The shape arithmetic agrees with Keras over a grid, and explains itself."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

from helpers import arithmetic as ar
from helpers.arithmetic import (
    PaddingSplit,
    ReceptiveField,
    batch_norm_params,
    conv_macs,
    conv_output_length,
    conv_params,
    conv_transpose_output_length,
    dense_macs,
    dense_params,
    depthwise_conv_params,
    effective_kernel_size,
    pool_output_length,
    receptive_field,
    same_padding,
    separable_conv_params,
)

KERNELS = range(1, 8)
STRIDES = range(1, 4)
DILATIONS = range(1, 4)
PADDINGS = ("valid", "same")
SIZES = (5, 8, 13, 16)  # odd and even, some smaller than the largest kernels


# ------------------------------------------------------------------------------------------
# Pure arithmetic (no TensorFlow)
# ------------------------------------------------------------------------------------------


def test_arithmetic_does_not_import_tensorflow():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(ar))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in getattr(node, "names", [])
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & {"tensorflow", "keras"}


def test_formulas_of_the_notes():
    n = conv_output_length(250, 5, stride=2)
    assert n == 123 and n.formula == "⌊(250 − 5) / 2⌋ + 1 = 123"
    assert conv_output_length(123, 3).formula == "123 − 3 + 1 = 121"
    assert pool_output_length(121, 3).formula == "⌊(121 − 3) / 3⌋ + 1 = 40"
    assert conv_params(5, 3, 32).formula == "(5·5·3 + 1)·32 = 2,432"
    assert dense_params(32, 10).formula == "(32 + 1)·10 = 330"
    assert conv_output_length(7, 3, padding="same").formula == "⌈7 / 1⌉ = 7"
    assert conv_output_length(10, 3, dilation=2).formula == "10 − (2·(3 − 1) + 1) + 1 = 6"
    assert effective_kernel_size(3, 2).formula == "2·(3 − 1) + 1 = 5"


def test_explained_behaves_like_an_int():
    n = conv_output_length(250, 5, stride=2)
    assert isinstance(n, int) and n + 1 == 124 and f"{n}" == "123" and repr(n) == "123"
    assert pickle.loads(pickle.dumps(n)).formula == n.formula


def test_same_padding_puts_the_extra_zero_at_the_end():
    split = same_padding(5, 4)
    assert split == (1, 2) and isinstance(split, PaddingSplit)
    assert (split.before, split.after, split.total) == (1, 2, 3)
    assert "3 → 1 before, 2 after" in split.formula
    assert same_padding(6, 3, stride=2) == (0, 1)
    assert same_padding(5, 1) == (0, 0)


def test_parameter_and_multiply_add_formulas():
    assert conv_params(3, 32, 64, use_bias=False).formula == "3·3·32·64 = 18,432"
    assert conv_params((3,), 4, 2) == (3 * 4 + 1) * 2
    assert conv_params((3, 3, 3), 1, 8) == (27 + 1) * 8
    assert depthwise_conv_params(3, 32).formula == "(3·3 + 1)·32 = 320"
    assert depthwise_conv_params(3, 8, depth_multiplier=2) == (9 + 1) * 16
    assert separable_conv_params(3, 32, 64).formula == "3·3·32 + 32·64 + 64 = 2,400"
    assert batch_norm_params(32) == 128 and batch_norm_params(32).formula.startswith("4·32")
    macs = conv_macs((123, 123), 5, 3, 32)
    assert macs == 123 * 123 * 32 * 75
    assert macs.formula == "123·123·32 outputs × 5·5·3 = 36,309,600"
    assert dense_macs(32, 10) == 320 and dense_macs(8, 10, positions=4).formula == "4·8·10 = 320"


def test_receptive_field_recurrence():
    assert receptive_field([3, 3]) == ReceptiveField(5, 1, 2.0)
    rf = receptive_field([5, 3, 3], strides=[2, 1, 3])
    assert (rf.size, rf.jump, rf.start) == (13, 6, 6.0)
    assert ReceptiveField().then(3, dilation=2).size == 5
    assert ReceptiveField().then(3, pad_before=1).start == 0.0
    assert "jump 6" in rf.formula


@pytest.mark.parametrize(
    ("func", "args", "error", "words"),
    [
        (conv_output_length, ("250", 5), TypeError, "length must be an integer"),
        (conv_output_length, (250.0, 5), TypeError, "got 250.0"),
        (conv_output_length, (True, 5), TypeError, "integer"),
        (conv_output_length, (0, 5), ValueError, "at least 1"),
        (conv_output_length, (10, 3, 1, "full"), ValueError, "'valid', 'same', 'causal'"),
        (conv_output_length, (4, 5), ValueError, "does not fit"),
        (conv_output_length, (5, 3, 1, "valid", 3), ValueError, "3·(3 − 1) + 1 = 7"),
        (pool_output_length, (2, 3), ValueError, "does not fit"),
        (pool_output_length, (8, 2, 1, "causal"), ValueError, "padding must be"),
        (conv_transpose_output_length, (4, 3, 2, "same", 2), ValueError, "smaller than the stride"),
        (same_padding, (5, -1), ValueError, "kernel_size must be at least 1"),
        (conv_params, ("3", 1, 1), TypeError, "kernel_size must be an int or a tuple"),
        (dense_params, (0, 10), ValueError, "in_features"),
        (receptive_field, (3,), TypeError, "list of ints"),
        (receptive_field, ([3, 3], [1]), ValueError, "one value per layer (2 layers)"),
    ],
)
def test_bad_inputs_say_what_was_wrong(func, args, error, words):
    with pytest.raises(error, match=None) as info:
        func(*args)
    assert words in str(info.value)


# ------------------------------------------------------------------------------------------
# Against Keras
# ------------------------------------------------------------------------------------------


def _keras_conv(rank, n, k, s, padding, d):
    """Keras' output length, or 'rejected' when Keras refuses the layer or the input."""
    import keras

    layer_class = keras.layers.Conv1D if rank == 1 else keras.layers.Conv2D
    try:
        layer = layer_class(2, k, strides=s, padding=padding, dilation_rate=d)
        shape = (None, n, 3) if rank == 1 else (None, n, n + 1, 3)
        out = layer.compute_output_shape(shape)
    except ValueError:
        return "rejected"
    return out[1] if rank == 1 else (out[1], out[2])


def _ours_conv(rank, n, k, s, padding, d):
    if s > 1 and d > 1:  # Keras' convolution layers refuse this combination
        return "rejected"
    try:
        if rank == 1:
            return int(conv_output_length(n, k, s, padding, d))
        return (
            int(conv_output_length(n, k, s, padding, d)),
            int(conv_output_length(n + 1, k, s, padding, d)),
        )
    except ValueError:
        return "rejected"


def test_conv_and_pool_lengths_match_keras_over_the_grid():
    import keras

    mismatches, count, rejected = [], 0, 0
    for rank, k, s, d, padding, n in itertools.product(
        (1, 2), KERNELS, STRIDES, DILATIONS, PADDINGS, SIZES
    ):
        keras_says, we_say = (
            _keras_conv(rank, n, k, s, padding, d),
            _ours_conv(rank, n, k, s, padding, d),
        )
        count += 1
        rejected += keras_says == "rejected"
        if keras_says != we_say:
            mismatches.append(("conv", rank, n, k, s, d, padding, keras_says, we_say))
    for rank, p, s, padding, n in itertools.product((1, 2), KERNELS, STRIDES, PADDINGS, SIZES):
        layer_class = keras.layers.MaxPooling1D if rank == 1 else keras.layers.MaxPooling2D
        shape = (None, n, 3) if rank == 1 else (None, n, n + 1, 3)
        try:
            out = layer_class(p, strides=s, padding=padding).compute_output_shape(shape)
            keras_says = out[1] if rank == 1 else (out[1], out[2])
        except ValueError:
            keras_says = "rejected"
        try:
            we_say = int(pool_output_length(n, p, s, padding))
            if rank == 2:
                we_say = (we_say, int(pool_output_length(n + 1, p, s, padding)))
        except ValueError:
            we_say = "rejected"
        count += 1
        rejected += keras_says == "rejected"
        if keras_says != we_say:
            mismatches.append(("pool", rank, n, p, s, padding, keras_says, we_say))
    print(
        f"\nshape grid: {count} configurations ({rejected} rejected by Keras), "
        f"{len(mismatches)} mismatches"
    )
    assert count == 2 * 7 * 3 * 3 * 2 * 4 + 2 * 7 * 3 * 2 * 4 == 1344
    assert not mismatches, f"{len(mismatches)} of {count} disagree, e.g. {mismatches[:5]}"
    assert rejected > 0  # the grid includes kernels that do not fit and stride×dilation


def test_keras_rejects_stride_with_dilation_and_so_do_we():
    import keras

    with pytest.raises(ValueError, match="dilation_rate"):
        keras.layers.Conv2D(1, 3, strides=2, dilation_rate=2)
    from helpers.widgets import conv_explorer_state

    assert conv_explorer_state(9, 3, 2, "valid", 2).valid is False


def test_a_sample_of_real_forward_passes():
    import keras

    rng = np.random.default_rng(0)
    configs = [
        (n, k, s, d, p)
        for n, k, s, d, p in itertools.product(SIZES, KERNELS, STRIDES, DILATIONS, PADDINGS)
        if not (s > 1 and d > 1) and (p == "same" or d * (k - 1) + 1 <= n)
    ]
    sample = [configs[i] for i in rng.choice(len(configs), size=24, replace=False)]
    for n, k, s, d, p in sample:
        x = np.zeros((1, n, n + 1, 1), dtype="float32")
        y = keras.layers.Conv2D(1, k, strides=s, padding=p, dilation_rate=d)(x)
        assert tuple(y.shape[1:3]) == (
            conv_output_length(n, k, s, p, d),
            conv_output_length(n + 1, k, s, p, d),
        ), (n, k, s, d, p)
        z = keras.layers.AveragePooling1D(k, strides=s, padding=p)(np.zeros((1, n, 1), "float32"))
        if p == "same" or k <= n:
            assert z.shape[1] == pool_output_length(n, k, s, p)


def test_same_padding_split_matches_tensorflow():
    """'same' equals 'valid' on an input padded exactly as same_padding says."""
    import tensorflow as tf

    rng = np.random.default_rng(1)
    for n, k, s in itertools.product((5, 6, 7, 8), (2, 3, 4, 5), (1, 2, 3)):
        x = rng.normal(size=(1, n, 1)).astype("float32")
        w = rng.normal(size=(k, 1, 1)).astype("float32")
        same = tf.nn.conv1d(x, w, stride=s, padding="SAME")
        before, after = same_padding(n, k, s)
        padded = np.pad(x, ((0, 0), (before, after), (0, 0)))
        valid = tf.nn.conv1d(padded, w, stride=s, padding="VALID")
        np.testing.assert_allclose(same.numpy(), valid.numpy(), rtol=1e-5, atol=1e-5)


def test_conv_transpose_lengths_match_keras():
    import keras

    count = 0
    for n, k, s, padding in itertools.product((3, 4, 7), range(1, 6), STRIDES, PADDINGS):
        for op in [None, *range(s)]:
            layer = keras.layers.Conv1DTranspose(
                1, k, strides=s, padding=padding, output_padding=op
            )
            expected = layer.compute_output_shape((None, n, 2))[1]
            assert conv_transpose_output_length(n, k, s, padding, op) == expected, (
                n,
                k,
                s,
                padding,
                op,
            )
            count += 1
    y = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same")(np.zeros((1, 5, 5, 1)))
    assert y.shape[1] == conv_transpose_output_length(5, 3, 2, "same") == 10
    assert count > 200


def test_parameter_counts_match_keras():
    import keras

    for k, c, f, bias in itertools.product((1, 3, 5), (1, 3), (2, 8), (True, False)):
        layer = keras.layers.Conv2D(f, k, use_bias=bias)
        layer.build((None, 9, 9, c))
        assert layer.count_params() == conv_params(k, c, f, bias)
        dw = keras.layers.DepthwiseConv2D(k, depth_multiplier=2, use_bias=bias)
        dw.build((None, 9, 9, c))
        assert dw.count_params() == depthwise_conv_params(k, c, 2, bias)
        sep = keras.layers.SeparableConv2D(f, k, use_bias=bias)
        sep.build((None, 9, 9, c))
        assert sep.count_params() == separable_conv_params(k, c, f, 1, bias)
    dense = keras.layers.Dense(10)
    dense.build((None, 32))
    assert dense.count_params() == dense_params(32, 10)
    bn = keras.layers.BatchNormalization()
    bn.build((None, 4, 4, 16))
    assert bn.count_params() == batch_norm_params(16)


def test_receptive_field_matches_the_gradient_support():
    """The input pixels that influence output 0 are exactly the predicted field."""
    import keras
    import tensorflow as tf

    stack = [("conv", 5, 2, 1), ("conv", 3, 1, 2), ("pool", 2, 2, 1), ("conv", 3, 1, 1)]
    model_layers = []
    for kind, k, s, d in stack:
        if kind == "conv":
            model_layers.append(
                keras.layers.Conv1D(
                    1, k, strides=s, dilation_rate=d, kernel_initializer="ones", use_bias=False
                )
            )
        else:
            model_layers.append(keras.layers.AveragePooling1D(k, strides=s))
    model = keras.Sequential([keras.Input((64, 1)), *model_layers])
    x = tf.Variable(np.ones((1, 64, 1), dtype="float32"))
    with tf.GradientTape() as tape:
        y = model(x)[0, 0, 0]
    support = np.flatnonzero(tape.gradient(y, x).numpy()[0, :, 0])
    rf = receptive_field(
        [k for _, k, _, _ in stack], [s for *_, s, _ in stack], [d for *_, d in stack]
    )
    assert support.size == rf.size == support[-1] - support[0] + 1
    assert (support[0] + support[-1]) / 2 == rf.start


def test_docstring_examples_run():
    import doctest

    from helpers import widgets

    for module in (ar, widgets):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__


@pytest.mark.parametrize(
    ("func", "args", "words"),
    [
        (conv_macs, ((0, 4), 3, 1, 1), "output_spatial must be at least 1"),
        (conv_macs, ((4, 4), "3", 1, 1), "kernel_size must be an int or a tuple"),
        (dense_macs, (8, 2, 0), "positions must be at least 1"),
        (batch_norm_params, (1.5,), "channels must be an integer"),
        (effective_kernel_size, (3, 0), "dilation must be at least 1"),
        (separable_conv_params, (3, 4, 0), "filters must be at least 1"),
        (depthwise_conv_params, (3, 4, 0), "depth_multiplier must be at least 1"),
        (pool_output_length, (10, 2, 0), "stride must be at least 1"),
    ],
)
def test_more_bad_inputs(func, args, words):
    with pytest.raises((TypeError, ValueError)) as info:
        func(*args)
    assert words in str(info.value)
