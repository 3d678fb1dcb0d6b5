"""One call that makes a notebook reproducible and quiet."""

from __future__ import annotations

import contextlib
import os
import random
import sys
import warnings
from dataclasses import dataclass

# TensorFlow reads this when it is first imported; it must be set before that import. Level 3
# hides the C++ core's log lines up to ERROR: TF 2.21 logs a harmless ERROR line ("NodeDef
# mentions attribute use_unbounded_threadpool") the first time Keras feeds NumPy arrays to fit(),
# and Jupyter would print it under a random later cell. Python exceptions are not affected.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class NotebookSetup:
    """What :func:`setup_notebook` did, so the setup cell's output says it."""

    seed: int
    tensorflow: str
    keras: str
    deterministic: bool

    def __str__(self) -> str:
        determinism = "deterministic ops" if self.deterministic else "non-deterministic ops"
        return (
            f"TensorFlow {self.tensorflow}, Keras {self.keras}; "
            f"seed {self.seed} for Python, NumPy and TensorFlow; {determinism}"
        )

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows str(), not the dataclass
        printer.text(str(self))


def _short_warning(message, category, filename, lineno, line=None) -> str:
    # A warning's default form starts with the absolute path of the library file that raised it,
    # which is noise for a reader and differs between machines (it would break nbval).
    return f"{category.__name__}: {message}\n"


@contextlib.contextmanager
def _quiet_os_stderr():
    """Send file descriptor 2 to /dev/null for a moment.

    TensorFlow's C++ core prints start-up notices (oneDNN, CPU features) straight to the process's
    stderr, ignoring Python and TF_CPP_MIN_LOG_LEVEL; Jupyter would show them under the setup cell.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def setup_notebook(seed: int = 0, *, deterministic: bool = True) -> NotebookSetup:
    """Seed every random generator, turn on deterministic ops and quiet TensorFlow's logs.

    Call it in the first code cell of every notebook, so that the notebook gives the same
    numbers each time it runs, here, in CI, on Binder and in Colab.

    Example:
        >>> import helpers
        >>> print(helpers.setup_notebook(seed=0))  # doctest: +ELLIPSIS
        TensorFlow ..., Keras ...; seed 0 for Python, NumPy and TensorFlow; deterministic ops
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r} of type {type(seed).__name__}.")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be between 0 and 2**32 - 1 (NumPy's limit), got {seed}.")

    with _quiet_os_stderr():
        import keras
        import numpy as np
        import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # absl ships with TensorFlow; be lenient anyway
        pass
    warnings.formatwarning = _short_warning

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the TensorFlow backend together
    if deterministic:
        tf.config.experimental.enable_op_determinism()

    import matplotlib as mpl

    # A fixed, legible default so figures look the same in every notebook and on every machine.
    mpl.rcParams.update(
        {
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": False,
            "image.cmap": "viridis",
            "font.size": 10,
        }
    )
    return NotebookSetup(
        seed=seed, tensorflow=tf.__version__, keras=keras.__version__, deterministic=deterministic
    )
