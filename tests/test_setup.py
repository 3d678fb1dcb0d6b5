"""setup_notebook() makes runs repeatable."""

from __future__ import annotations

import numpy as np
import pytest

import helpers


def draw_everything():
    import random

    import tensorflow as tf

    return random.random(), np.random.rand(), float(tf.random.uniform(()))


def test_same_seed_same_numbers_everywhere():
    helpers.setup_notebook(seed=7)
    first = draw_everything()
    helpers.setup_notebook(seed=7)
    assert draw_everything() == first
    helpers.setup_notebook(seed=8)
    assert draw_everything() != first


def test_the_summary_says_what_was_done():
    import keras
    import tensorflow as tf

    text = str(helpers.setup_notebook(seed=0))
    assert text == (
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}; "
        "seed 0 for Python, NumPy and TensorFlow; deterministic ops"
    )


@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        ("0", TypeError, "seed must be an int, got '0' of type str"),
        (True, TypeError, "seed must be an int, got True of type bool"),
        (-1, ValueError, r"seed must be between 0 and 2\*\*32 - 1 \(NumPy.s limit\), got -1"),
    ],
)
def test_bad_seeds_are_explained(seed, error, message):
    with pytest.raises(error, match=message):
        helpers.setup_notebook(seed=seed)


def test_glue_rejects_names_the_text_could_not_quote():
    with pytest.raises(ValueError, match="glue name must be a Python identifier"):
        helpers.glue("test accuracy", 0.9)
