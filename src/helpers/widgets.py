"""Interactive explorers (ipywidgets) and their static forms for the website.

The logic lives in plain functions (:func:`conv_explorer_state`, :func:`tangent_line`) that the
tests check against Keras and TensorFlow; the widgets only wire sliders to them, and the
``plot_*`` functions draw the same states as a still figure for readers of the website.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    import ipywidgets

from . import arithmetic as ar

__all__ = [
    "ConvState",
    "conv_explorer",
    "conv_explorer_state",
    "gradient_explorer",
    "plot_conv_explorer_grid",
    "plot_gradient_states",
    "tangent_line",
]


# --------------------------------------------------------------------------------------------
# Convolution explorer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvState:
    """One setting of the convolution explorer, along one axis, and what Keras makes of it.

    Attributes:
        input_size, kernel_size, stride, padding, dilation: the setting.
        valid: whether Keras accepts it (``Conv1D``/``Conv2D`` with these arguments).
        output_size: the output length, or ``None`` when Keras rejects the setting.
        formula: the output-size formula with the numbers filled in (or why it fails).
        positions: for each output position, the input indices its kernel taps read;
            ``-1`` marks a tap that falls on padding (a zero).
        pad_before, pad_after: zeros added at the start and end of the input.
        message: a sentence for the reader.
    """

    input_size: int
    kernel_size: int
    stride: int
    padding: str
    dilation: int
    valid: bool
    output_size: int | None
    formula: str
    positions: tuple[tuple[int, ...], ...]
    pad_before: int
    pad_after: int
    message: str


def conv_explorer_state(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
) -> ConvState:
    """Where a convolution's kernel lands, and how long its output is, along one axis.

    Follows Keras exactly: ``padding="same"`` splits its zeros with the extra one at the end,
    ``"causal"`` pads only at the start (``Conv1D``), and a stride above 1 together with a
    dilation above 1 is rejected, as Keras' convolution layers reject it.

    Example:
        >>> s = conv_explorer_state(7, 3, stride=2)
        >>> s.output_size, s.formula, s.positions
        (3, '⌊(7 − 3) / 2⌋ + 1 = 3', ((0, 1, 2), (2, 3, 4), (4, 5, 6)))
        >>> conv_explorer_state(7, 3, stride=2, dilation=2).valid
        False
    """
    n = ar._check_int("input_size", input_size)
    k = ar._check_int("kernel_size", kernel_size)
    s = ar._check_int("stride", stride)
    d = ar._check_int("dilation", dilation)
    padding = ar._check_padding(padding, ar.PADDINGS)

    def rejected(formula: str, message: str) -> ConvState:
        return ConvState(n, k, s, padding, d, False, None, formula, (), 0, 0, message)

    if s > 1 and d > 1:
        return rejected(
            "rejected",
            f"Keras rejects strides > 1 together with dilation_rate > 1 (got stride={s}, "
            f"dilation={d}). Use one or the other.",
        )
    try:
        out = ar.conv_output_length(n, k, s, padding, d)
    except ValueError as e:
        k_eff = d * (k - 1) + 1
        return rejected(f"{n} − {k_eff} + 1 ≤ 0", str(e))
    if padding == "same":
        split = ar.same_padding(n, k, s, d)
        before, after = split.before, split.after
        formula = f"{out.formula}; padding {split.formula}"
    elif padding == "causal":
        before, after = d * (k - 1), 0
        formula = f"{out.formula}; {before} zeros before (causal)"
    else:
        before, after = 0, 0
        formula = out.formula
    positions = []
    for i in range(int(out)):
        start = i * s - before
        taps = tuple(j if 0 <= j < n else -1 for j in (start + t * d for t in range(k)))
        positions.append(taps)
    message = f"{int(out)} output positions from an input of {n}"
    if before or after:
        message += f", with {before} zero(s) before and {after} after"
    return ConvState(
        n, k, s, padding, d, True, int(out), formula, tuple(positions), before, after, message + "."
    )


def _to_state(item) -> ConvState:
    if isinstance(item, ConvState):
        return item
    if isinstance(item, Mapping):
        return conv_explorer_state(**item)
    if isinstance(item, tuple | list):
        return conv_explorer_state(*item)
    raise TypeError(
        "Each state must be a ConvState, a tuple (input_size, kernel_size, stride, padding, "
        f"dilation) or a dict of those arguments; got {type(item).__name__}."
    )


def _draw_conv_state(ax, state: ConvState, max_rows: int = 10) -> None:
    from matplotlib.patches import Rectangle

    n = state.input_size
    lo, hi = -state.pad_before, n + state.pad_after
    cell = {"edgecolor": "#555555", "linewidth": 0.6}
    # the input row (padding hatched)
    for j in range(lo, hi):
        pad = not 0 <= j < n
        ax.add_patch(
            Rectangle(
                (j, 0),
                1,
                1,
                facecolor="#eeeeee" if pad else "#cfd8e6",
                hatch="//" if pad else None,
                **cell,
            )
        )
        ax.text(j + 0.5, 0.5, "0" if pad else str(j), ha="center", va="center", fontsize=7)
    rows = state.positions[:max_rows]
    for i in range(len(rows)):
        y = -(i + 1.4)
        for j in range(lo, hi):
            ax.add_patch(Rectangle((j, y), 1, 1, facecolor="white", **cell))
        start = i * state.stride - state.pad_before
        for t in range(state.kernel_size):
            j = start + t * state.dilation
            ax.add_patch(Rectangle((j, y), 1, 1, facecolor="#21918c", **cell))
        ax.text(lo - 0.3, y + 0.5, f"out {i}", ha="right", va="center", fontsize=7)
    if len(state.positions) > max_rows:
        ax.text(
            (lo + hi) / 2,
            -(max_rows + 1.2),
            f"… {len(state.positions) - max_rows} more",
            ha="center",
            va="top",
            fontsize=7,
        )
    ax.text(lo - 0.3, 0.5, "input", ha="right", va="center", fontsize=7)
    title = f"n={n}, k={state.kernel_size}, s={state.stride}, d={state.dilation}, {state.padding!r}"
    if state.valid:
        ax.set_title(
            f"{title}\noutput {state.output_size}: {state.formula.split(';')[0]}", fontsize=9
        )
    else:
        ax.set_title(f"{title}\nrejected by Keras", fontsize=9)
        wrapped = _wrap(state.message, 48)
        ax.text((lo + hi) / 2, -1.0, wrapped, ha="center", va="top", fontsize=7.5, style="italic")
    n_rows = min(len(rows), max_rows) + (1 if len(state.positions) > max_rows else 0)
    ax.set_xlim(lo - 3.2, hi + 0.2)
    ax.set_ylim(-(max(n_rows, 3 if not state.valid else n_rows) + 1.6), 1.3)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def plot_conv_explorer_grid(
    states: Sequence[ConvState | tuple | Mapping], *, ncols: int = 2, fig: Figure | None = None
) -> Figure:
    """Draw several convolution-explorer settings side by side (the widget, frozen).

    Each panel shows the input (padding hatched) and, one row per output position, the input
    cells the kernel reads; a setting Keras rejects says so.

    Args:
        states: :class:`ConvState` objects, or tuples / dicts of
            :func:`conv_explorer_state`'s arguments.
        ncols: panels per row.
        fig: a matplotlib Figure to draw into; a new one if ``None``.

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = plot_conv_explorer_grid([(7, 3, 1), (7, 3, 2, "same")])  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if isinstance(states, ConvState | Mapping) or not isinstance(states, Sequence):
        raise TypeError(
            "states must be a list of settings, e.g. [(7, 3, 1), (7, 3, 2, 'same')]; got "
            f"{type(states).__name__}."
        )
    if not states:
        raise ValueError("states is empty; give at least one setting.")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}.")
    items = [_to_state(s) for s in states]
    cols = min(ncols, len(items))
    rows = math.ceil(len(items) / cols)
    if fig is None:
        fig = plt.figure(figsize=(4.2 * cols, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, state in zip(axes.flat, items, strict=False):
        _draw_conv_state(ax, state)
    for ax in list(axes.flat)[len(items) :]:
        ax.set_axis_off()
    return fig


def _keras_check(state: ConvState) -> str:
    """What a real Keras Conv1D says about this setting (used by the widget)."""
    import keras

    try:
        layer = keras.layers.Conv1D(
            1,
            state.kernel_size,
            strides=state.stride,
            padding=state.padding,
            dilation_rate=state.dilation,
        )
        out = layer.compute_output_shape((None, state.input_size, 1))
        return f"Keras Conv1D agrees: output length {out[1]}."
    except ValueError as e:
        return f"Keras Conv1D refuses: {str(e).splitlines()[0]}"


def _show_in(out, fig: Figure, text: str) -> None:
    """Put a figure and a line of text into an Output widget.

    Setting the widget's ``outputs`` travels over the widget's own channel. Printing inside
    ``with out:`` would instead send ordinary cell output and clear_output messages while the cell
    that creates the widget runs, which a reader of the static page (and nbval) sees as stray text.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    out.outputs = (
        {
            "output_type": "display_data",
            "data": {"image/png": png, "text/plain": "<Figure>"},
            "metadata": {},
        },
        {"output_type": "stream", "name": "stdout", "text": text},
    )


def _explorer_box(children: list, name: str) -> ipywidgets.VBox:
    """A VBox whose plain-text form is one sentence instead of every child's state.

    The text form is what a static page (the website, nbval) shows in place of the live widget.
    """
    import ipywidgets as w

    class Explorer(w.VBox):
        def __repr__(self) -> str:
            return (
                f"{name}: a live widget; run this notebook in Jupyter, Binder or Colab to use it."
            )

    return Explorer(children)


def conv_explorer(
    input_size: int = 7,
    kernel_size: int = 3,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
) -> ipywidgets.VBox:
    """Sliders for a convolution's settings, showing the output size and the kernel's positions.

    Each change recomputes :func:`conv_explorer_state` and asks a real Keras ``Conv1D`` for its
    verdict, so the reader sees that the formula and Keras agree (or that Keras rejects it).

    Returns:
        An ``ipywidgets.VBox``; display it as the last line of a cell.

    Example:
        >>> conv_explorer()  # doctest: +SKIP
    """
    import ipywidgets as w

    start = conv_explorer_state(input_size, kernel_size, stride, padding, dilation)
    style = {"description_width": "80px"}
    n = w.IntSlider(
        start.input_size, 1, max(16, start.input_size), description="input size", style=style
    )
    k = w.IntSlider(
        start.kernel_size, 1, max(7, start.kernel_size), description="kernel", style=style
    )
    s = w.IntSlider(start.stride, 1, max(4, start.stride), description="stride", style=style)
    d = w.IntSlider(start.dilation, 1, max(3, start.dilation), description="dilation", style=style)
    p = w.ToggleButtons(options=list(ar.PADDINGS), value=start.padding, description="padding")
    out = w.Output()

    def update(*_):
        state = conv_explorer_state(n.value, k.value, s.value, p.value, d.value)
        fig = Figure(figsize=(6.0, 3.6), layout="constrained")
        plot_conv_explorer_grid([state], ncols=1, fig=fig)
        _show_in(out, fig, f"{state.message}\n{_keras_check(state)}\n")

    for control in (n, k, s, d, p):
        control.observe(update, names="value")
    update()
    return _explorer_box([w.HBox([w.VBox([n, k]), w.VBox([s, d])]), p, out], "Convolution explorer")


# --------------------------------------------------------------------------------------------
# Gradient explorer
# --------------------------------------------------------------------------------------------


def _default_f(x):
    return x**2


def _check_f(f) -> Callable:
    if f is None:
        return _default_f
    if not callable(f):
        raise TypeError(
            f"f must be a function of one tensor such as lambda x: x**2, got {type(f).__name__}."
        )
    return f


def tangent_line(f: Callable, x0: float) -> tuple[float, float]:
    """Slope and intercept of the tangent to ``f`` at ``x0``, the slope from ``tf.GradientTape``.

    Args:
        f: a function of one scalar tensor written with TensorFlow operations
            (``lambda x: x**2``, ``tf.sin``).
        x0: where to touch the curve.

    Returns:
        ``(slope, intercept)``: the tangent is ``y = slope·x + intercept``.

    Raises:
        TypeError: ``f`` is not callable or ``x0`` is not a number.
        ValueError: the tape found no gradient (``f`` left TensorFlow, e.g. through NumPy).

    Example:
        >>> tangent_line(lambda x: x**2, 3.0)  # doctest: +SKIP
        (6.0, -9.0)
    """
    import tensorflow as tf

    f = _check_f(f)
    if isinstance(x0, bool) or not isinstance(x0, int | float | np.floating | np.integer):
        raise TypeError(f"x0 must be a number, got {x0!r} of type {type(x0).__name__}.")
    x = tf.Variable(float(x0))
    with tf.GradientTape() as tape:
        try:
            y = tf.convert_to_tensor(f(x), dtype=tf.float32)
        except Exception as exc:  # noqa: BLE001 - any failure inside f is the reader's f
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise TypeError(
                "f must take one scalar tensor and return one, built from TensorFlow operations "
                f"(lambda x: x**2, tf.sin); calling it at x = {x0} failed with "
                f"{type(exc).__name__}: {first_line}"
            ) from None
    if y.shape != ():
        raise ValueError(
            f"f must return a scalar, but f({x0}) has shape {tuple(y.shape)}; "
            "reduce it, e.g. lambda x: tf.reduce_sum(...)."
        )
    slope = tape.gradient(y, x)
    if slope is None:
        raise ValueError(
            "The tape recorded no gradient of f at x0: f must be built from TensorFlow "
            "operations on its argument (x**2, tf.sin(x)), not NumPy or Python math."
        )
    slope, value = float(slope.numpy()), float(y.numpy())
    if not (np.isfinite(slope) and np.isfinite(value)):
        raise ValueError(
            f"f or its derivative is not finite at x0 = {x0} (f = {value}, slope = {slope}); "
            "pick a point where f is differentiable, e.g. x0 > 0 for tf.sqrt."
        )
    return slope, value - slope * float(x0)


def _curve(f, xs: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    try:
        ys = np.asarray(f(tf.constant(xs, dtype=tf.float32)))
        if ys.shape == xs.shape:
            return ys
    except Exception:  # noqa: BLE001 - fall back to one point at a time
        pass
    return np.array([float(f(tf.constant(v, dtype=tf.float32))) for v in xs])


def _check_range(x_range) -> tuple[float, float]:
    if (
        not isinstance(x_range, tuple | list)
        or len(x_range) != 2
        or not all(isinstance(v, int | float) for v in x_range)
        or not x_range[0] < x_range[1]
    ):
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}.")
    return float(x_range[0]), float(x_range[1])


def _draw_gradient(ax, f, x0: float, xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    slope, intercept = tangent_line(f, x0)
    ax.plot(xs, ys, color="#3b528b", lw=2, label="f(x)")
    ax.plot(xs, slope * xs + intercept, color="#21918c", lw=1.5, ls="--", label="tangent")
    y0 = slope * x0 + intercept
    ax.plot([x0], [y0], "o", color="#fde725", markeredgecolor="black", zorder=3)
    pad = 0.1 * (ys.max() - ys.min() or 1.0)
    ax.set_ylim(ys.min() - pad, ys.max() + pad)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title(f"x = {x0:g}: slope f'(x) = {slope:.3g}", fontsize=9)
    return slope, intercept


def plot_gradient_states(
    f: Callable | None,
    xs: Sequence[float],
    *,
    x_range: tuple[float, float] = (-4.0, 4.0),
    fig: Figure | None = None,
) -> Figure:
    """Draw ``f`` and its tangent at several points, one panel per point (the widget, frozen).

    Args:
        f: a function of one tensor (``None`` for ``x**2``).
        xs: the points where the tangent is drawn.
        x_range: the interval plotted.
        fig: a matplotlib Figure to draw into; a new one if ``None``.

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = plot_gradient_states(lambda x: x**2, [-2.0, 0.0, 3.0])  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    f = _check_f(f)
    lo, hi = _check_range(x_range)
    if isinstance(xs, int | float) or not isinstance(xs, Sequence | np.ndarray) or not len(xs):
        raise TypeError(f"xs must be a non-empty list of numbers such as [-2, 0, 3], got {xs!r}.")
    grid = np.linspace(lo, hi, 200, dtype="float32")
    curve = _curve(f, grid)
    if fig is None:
        fig = plt.figure(figsize=(3.2 * len(xs), 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(xs), sharey=True))
    for ax, x0 in zip(axes, xs, strict=True):
        _draw_gradient(ax, f, float(x0), grid, curve)
    axes[0].legend(fontsize=8, loc="best")
    return fig


def gradient_explorer(
    f: Callable | None = None, x_range: tuple[float, float] = (-4.0, 4.0)
) -> ipywidgets.VBox:
    """A slider for ``x`` that draws ``f`` and its tangent, the slope computed by a tape.

    Args:
        f: a function of one tensor written with TensorFlow operations; ``x**2`` if ``None``.
        x_range: the interval of the slider and the plot.

    Returns:
        An ``ipywidgets.VBox``; display it as the last line of a cell.

    Example:
        >>> gradient_explorer(lambda x: tf.sin(x))  # doctest: +SKIP
    """
    import ipywidgets as w

    f = _check_f(f)
    lo, hi = _check_range(x_range)
    grid = np.linspace(lo, hi, 200, dtype="float32")
    curve = _curve(f, grid)
    slider = w.FloatSlider(
        value=(lo + hi) / 2, min=lo, max=hi, step=(hi - lo) / 80, description="x"
    )
    out = w.Output()

    def update(*_):
        fig = Figure(figsize=(5.0, 3.4), layout="constrained")
        slope, intercept = _draw_gradient(fig.subplots(), f, slider.value, grid, curve)
        _show_in(
            out,
            fig,
            f"dy/dx at x = {slider.value:.3f}: {slope:.4f}  "
            f"(tangent y = {slope:.3f}·x + {intercept:.3f})\n",
        )

    slider.observe(update, names="value")
    update()
    return _explorer_box([slider, out], "Gradient explorer")
