"""shape_table agrees with Keras, explains every row, and fails gracefully."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
from keras import layers

from helpers import shape_table
from helpers.shapes import NO_FORMULA, ShapeRow, ShapeTable


@pytest.fixture(autouse=True)
def fresh_names():
    """Layer names (conv2d, conv2d_1, ...) restart in every test, as in a fresh notebook."""
    keras.backend.clear_session(free_memory=False)


def notes_cnn() -> keras.Sequential:
    """The CNN of the course notes, built the same way."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    return model


def _summary_rows(model, monkeypatch) -> list[tuple[str, tuple, int]]:
    """(name, output shape without batch, params) for each row of model.summary()."""
    monkeypatch.setenv("COLUMNS", "250")
    lines: list[str] = []
    model.summary(line_length=160, print_fn=lambda s, **_: lines.append(s))
    text = "\n".join(lines)
    rows = []
    for m in re.finditer(r"│ (\S+) \((\w+)\)\s*│ \(None, ([\d, ]+)\)\s*│\s*([\d,]+) │", text):
        shape = tuple(int(v) for v in m.group(3).split(","))
        rows.append((m.group(1), shape, int(m.group(4).replace(",", ""))))
    return rows


def test_notes_cnn_agrees_with_model_summary_at_every_row(monkeypatch):
    model = notes_cnn()
    table = shape_table(model)
    summary = _summary_rows(model, monkeypatch)
    assert len(summary) == len(model.layers) == len(table) == 11
    for row, (name, shape, params) in zip(table.rows, summary, strict=True):
        assert (row.name, row.output_shape, row.params) == (name, shape, params)
        assert not row.formula.startswith(NO_FORMULA), row
    assert table["max_pooling2d"].output_shape == (40, 40, 32)
    assert table.row("max_pooling2d_2").output_shape == (4, 4, 32)
    assert table["conv2d"].formula == "⌊(250 − 5) / 2⌋ + 1 = 123"
    assert table["conv2d"].params_formula == "(5·5·3 + 1)·32 = 2,432"
    assert table["max_pooling2d"].formula == "⌊(121 − 3) / 3⌋ + 1 = 40"
    assert table["max_pooling2d_2"].receptive_field_text == "139×139"
    assert table["conv2d"].macs == 123 * 123 * 32 * 5 * 5 * 3
    assert table["conv2d"].activation_bytes == 123 * 123 * 32 * 4
    assert table.total_params == model.count_params() == 49_002
    assert table.ok and table.error is None and table.hint is None
    assert table[0].name == "conv2d" and table.names[-1] == "dense"


def test_text_and_html_forms():
    table = shape_table(notes_cnn())
    text = str(table)
    assert "max_pooling2d (MaxPooling2D)" in text and "40×40×32" in text
    assert "Total params: 49,002" in text
    html = table._repr_html_()
    assert html.count("<tr>") == 12 and "⌊(250 − 5) / 2⌋ + 1 = 123" in html
    assert "49,002 params" in repr(table)
    assert isinstance(table, ShapeTable) and isinstance(table.rows[0], ShapeRow)


def test_unbuilt_sequential_needs_input_shape():
    model = keras.Sequential([layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(4)])
    with pytest.raises(ValueError, match=r"input_shape=\(250, 250, 3\)"):
        shape_table(model)
    table = shape_table(model, input_shape=(28, 28, 1))
    assert table.ok and table.names == ["conv2d", "flatten", "dense"]
    assert table.rows[-1].output_shape == (4,)
    assert table.total_params == model.count_params()  # the model is built now
    assert shape_table(model).total_params == table.total_params  # and remembers its shape


def test_called_once_sequential_and_other_input_shape():
    import numpy as np

    model = keras.Sequential([layers.Conv2D(4, 3, name="c"), layers.GlobalMaxPooling2D()])
    model(np.zeros((2, 10, 10, 1), "float32"))
    assert shape_table(model)["c"].output_shape == (8, 8, 4)
    # a built Sequential explained for another image size, without rebuilding it
    assert shape_table(model, (20, 20, 1))["c"].output_shape == (18, 18, 4)


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        ("not a model", TypeError, "expects a Keras model"),
        (layers.Dense(3), TypeError, "wrap it"),
    ],
)
def test_bad_model_argument(bad, error, words):
    with pytest.raises(error, match=words):
        shape_table(bad)


@pytest.mark.parametrize("bad_shape", ["28x28", (28, 28.0, 1), [True, 2]])
def test_bad_input_shape(bad_shape):
    with pytest.raises(TypeError, match="input_shape must be a tuple of ints"):
        shape_table(keras.Sequential([layers.Dense(2)]), bad_shape)


def test_input_shape_sizes_must_be_positive_and_numpy_ints_are_fine():
    with pytest.raises(ValueError, match=r"positive sizes .* got \(0, 28, 1\)"):
        shape_table(keras.Sequential([layers.Dense(2)]), (0, 28, 1))
    table = shape_table(keras.Sequential([layers.Dense(2)]), (np.int64(5),))
    assert table.rows[0].output_shape == (2,)


def test_a_failed_walk_leaves_an_unbuilt_model_unbuilt():
    model = keras.Sequential([layers.Conv2D(4, 3), layers.MaxPooling2D(4), layers.MaxPooling2D(4)])
    assert not shape_table(model, (8, 8, 3)).ok
    assert not model.built and not model.layers[0].built
    # The same model then explains another input shape, as if the first call had not happened.
    assert shape_table(model, (32, 32, 1)).ok


def test_a_built_model_asked_about_another_shape_says_its_weights_fix_it():
    model = keras.Sequential([layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(2)])
    assert shape_table(model, (8, 8, 3)).ok and model.built
    table = shape_table(model, (10, 10, 3))
    assert not table.ok
    assert table.hint.startswith("dense was already built for inputs whose last axis is 144")


@pytest.mark.parametrize(
    ("input_shape", "hint"),
    [
        ((28, 28), "add the channel axis, e.g. (28, 28, 1)"),
        ((1, 28, 28, 1), "seems to include the batch dimension; give the shape of one example"),
    ],
)
def test_first_layer_rank_mistakes_get_a_specific_hint(input_shape, hint):
    table = shape_table(keras.Sequential([layers.Conv2D(4, 3)]), input_shape)
    assert not table.ok and hint in table.hint


def test_functional_input_shape_cannot_be_changed():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, layers.Conv2D(2, 3)(inputs))
    with pytest.raises(ValueError, match="was built for inputs of shape"):
        shape_table(model, (9, 9, 1))


def test_lookup_of_a_missing_layer_lists_the_names():
    table = shape_table(notes_cnn())
    with pytest.raises(KeyError, match="Layers: conv2d, conv2d_1"):
        table["conv2d_99"]
    with pytest.raises(TypeError):
        table[1.5]


def test_kernel_larger_than_its_input_gives_rows_and_a_hint():
    model = keras.Sequential(
        [layers.Conv2D(4, 3), layers.MaxPooling2D(2), layers.Conv2D(4, 7), layers.Flatten()]
    )
    table = shape_table(model, (12, 12, 1))
    assert not table.ok
    assert [r.output_shape for r in table.rows] == [(10, 10, 4), (5, 5, 4)]
    assert "conv2d" in table.error and "5×5×4" in table.error
    assert "does not fit" in table.hint and "padding='same'" in table.hint
    assert "Traceback" not in str(table) and "Hint:" in str(table)
    assert not model.built  # a broken model is left as it was
    assert not shape_table(model, (12, 12, 1)).ok  # and can be explained again


def test_flatten_before_an_unknown_dimension():
    model = keras.Sequential([layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10)])
    table = shape_table(model, (None, None, 3))
    assert not table.ok and len(table) == 2
    assert table.rows[-1].output_shape == (None,)
    assert "unknown" in table.hint and "GlobalMaxPooling2D" in table.hint


def test_conv_after_flatten_explains_the_rank():
    model = keras.Sequential([layers.Flatten(), layers.Conv2D(4, 3)])
    table = shape_table(model, (28, 28, 1))
    assert not table.ok and table.rows[0].output_shape == (784,)
    assert "(height, width, channels)" in table.hint and "Reshape" in table.hint


def test_dense_on_a_feature_map_acts_on_the_last_axis():
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Dense(10)])
    table = shape_table(model)
    assert table.ok  # Keras accepts it ...
    row = table.rows[-1]
    assert row.output_shape == (26, 26, 10) == tuple(model.output_shape[1:])
    assert "last axis" in row.formula and row.macs == 26 * 26 * 8 * 10
    assert "instead of (10,)" in table.hint and "Flatten" in table.hint  # ... but says so


def test_functional_model_with_branches_and_a_nested_model(monkeypatch):
    inputs = keras.Input((32, 32, 3))
    a = layers.Conv2D(16, 3, padding="same", name="a")(inputs)
    b = layers.Conv2D(16, 1, name="b")(inputs)
    added = layers.Add(name="add")([a, b])
    joined = layers.Concatenate(name="cat")([a, b])
    inner = keras.Sequential(
        [keras.Input((32, 32, 16)), layers.Conv2D(4, 3, name="ic"), layers.BatchNormalization()],
        name="inner",
    )
    c = layers.Conv2D(4, 3, name="c")(joined)
    merged = layers.Concatenate(name="cat2")([c, inner(added)])
    outputs = layers.Dense(3, name="out")(layers.GlobalAveragePooling2D(name="gap")(merged))
    model = keras.Model(inputs, outputs)

    table = shape_table(model)
    assert table.rows[0].layer_type == "InputLayer"
    assert table["cat"].output_shape == (32, 32, 32) and table["cat"].formula.startswith("16 + 16")
    assert table["add"].input_shape == ((32, 32, 16), (32, 32, 16))
    assert table["inner/ic"].output_shape == (30, 30, 4)
    assert table["inner/ic"].receptive_field_text == "5×5"
    assert table.total_params == model.count_params()

    collapsed = shape_table(model, expand_nested=False)
    assert "inner" in collapsed.names and "inner/ic" not in collapsed.names
    assert collapsed["inner"].params == model.get_layer("inner").count_params()
    assert collapsed["inner"].macs == table["inner/ic"].macs
    assert collapsed.total_params == model.count_params()
    summary = {name: (shape, params) for name, shape, params in _summary_rows(model, monkeypatch)}
    for row in collapsed.rows:
        if row.name in summary:
            assert summary[row.name] == (row.output_shape, row.params), row.name


def test_every_listed_layer_type_has_a_formula():
    x2 = keras.Input((16, 16, 3), name="image")
    y = layers.Rescaling(1 / 255)(x2)
    norm = layers.Normalization(axis=-1)
    y = norm(y)
    y = layers.ZeroPadding2D(((1, 2), (0, 1)))(y)
    y = layers.Cropping2D(((1, 0), (0, 1)))(y)
    y = layers.Conv2D(8, 3, strides=2, padding="same")(y)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Dropout(0.1)(y)
    y = layers.SeparableConv2D(8, 3, padding="same")(y)
    y = layers.DepthwiseConv2D(3, depth_multiplier=2)(y)
    y = layers.AveragePooling2D(2)(y)
    y = layers.UpSampling2D(2)(y)
    y = layers.Conv2DTranspose(4, 3, strides=2)(y)
    y = layers.MaxPooling2D(2, padding="same")(y)
    g1 = layers.GlobalAveragePooling2D()(y)
    g2 = layers.GlobalMaxPooling2D()(y)
    flat = layers.Flatten()(y)
    y = layers.Concatenate()([g1, g2])
    y = layers.Add()([y, layers.Dense(8)(flat)])
    y = layers.Reshape((2, 4))(y)
    y = layers.Conv1D(4, 2, padding="causal")(y)
    y = layers.MaxPooling1D(2)(y)
    y = layers.AveragePooling1D(1)(y)
    y = layers.GlobalMaxPooling1D()(y)
    x3 = keras.Input((6, 6, 6, 1))
    z = layers.Conv3D(2, 3)(x3)
    z = layers.GlobalAveragePooling1D()(layers.Reshape((-1, 2))(z))
    out = layers.Dense(2)(layers.Concatenate()([y, z]))
    model = keras.Model([x2, x3], out)
    table = shape_table(model)
    no_formula = [r.name for r in table.rows if r.formula.startswith(NO_FORMULA)]
    assert no_formula == []
    assert table.total_params == model.count_params()
    types = {r.layer_type for r in table.rows}
    for expected in (
        "Normalization",
        "Rescaling",
        "ZeroPadding2D",
        "Cropping2D",
        "SeparableConv2D",
        "DepthwiseConv2D",
        "Conv2DTranspose",
        "UpSampling2D",
        "Conv1D",
        "Conv3D",
        "Reshape",
        "Concatenate",
        "Add",
    ):
        assert expected in types


def test_other_layers_fall_back_to_keras():
    model = keras.Sequential([keras.Input((4, 6)), layers.Permute((2, 1)), layers.Dense(3)])
    table = shape_table(model)
    assert table.rows[0].formula == NO_FORMULA and table.rows[0].output_shape == (6, 4)
    assert table.rows[1].output_shape == (6, 3)


def test_multiply_adds_that_depend_on_a_free_size_are_unknown_not_zero():
    model = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            layers.Conv2D(8, 3, name="c"),
            layers.GlobalMaxPooling2D(),
            layers.Dense(2, name="d"),
        ]
    )
    table = shape_table(model)
    assert table["c"].macs is None and table["d"].macs == 16
    assert table.total_macs == 16 and table.unknown_macs == ["c"]
    assert "Total mult-adds: 16 plus unknown (c: " in str(table)


def test_subclassed_models_are_refused_with_the_way_out():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Tiny()
    model(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="subclassed keras.Model .* Write it as a Functional"):
        shape_table(model)


def test_layers_without_weights_and_normalization_explain_their_counts():
    norm = layers.Normalization(name="norm")
    norm.adapt(np.arange(30, dtype="float32").reshape(10, 3))
    model = keras.Sequential(
        [keras.Input((3,)), layers.Rescaling(0.5, name="scale"), norm, layers.Dropout(0.2)]
    )
    table = shape_table(model)
    assert table["scale"].params_formula == "0 (no weights)"
    assert table["norm"].params_formula == "mean 3 + variance 3 + count 1 = 7 (not trained)"
    assert table.total_params == model.count_params() == 7
