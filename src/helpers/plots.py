"""Drawings of convolutional networks: feature maps, filters, the pipeline and one convolution step.

Every function takes an optional matplotlib ``fig`` or ``ax``, returns what it drew and never
calls ``plt.show()`` (the notebook cell does that).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_conv_step", "plot_feature_maps", "plot_filters", "plot_pipeline"]

_SCALES = ("shared", "per_channel")


def _new_figure(figsize):
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained")


def _check_fig(fig, func: str):
    if fig is None:
        return None
    from matplotlib.figure import Figure, SubFigure

    if not isinstance(fig, Figure | SubFigure):
        raise TypeError(
            f"{func}: fig must be a matplotlib Figure (e.g. plt.figure()), got "
            f"{type(fig).__name__}. Leave it out to get a new figure."
        )
    return fig


def _limits(values: np.ndarray) -> tuple[float, float]:
    """A colour range that never has zero width (a constant map is drawn flat, no NaN)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo <= 1e-12 * max(1.0, abs(lo)):
        return lo - 0.5, lo + 0.5
    return lo, hi


# --------------------------------------------------------------------------------------------
# Feature maps
# --------------------------------------------------------------------------------------------


def _image_batch(model, image) -> np.ndarray:
    if hasattr(image, "numpy"):
        image = image.numpy()
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"image must be a NumPy array of shape (H, W), (H, W, C) or (1, H, W, C), got "
            f"{type(image).__name__}."
        )
    expected = tuple(model.inputs[0].shape)[1:]
    x = np.asarray(image, dtype="float32")
    if x.ndim == 2 and len(expected) == 3:
        x = x[..., None]
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(
            f"image must have shape (H, W), (H, W, C) or (1, H, W, C) (one image), got "
            f"{np.shape(image)}. Select one image, e.g. images[0]."
        )
    if len(expected) != 3 or any(
        w is not None and g != w for g, w in zip(x.shape[1:], expected, strict=True)
    ):
        raise ValueError(
            f"image has shape {np.shape(image)}, but the model expects {expected}. Resize "
            "or reshape the image to match the model's input."
        )
    return x


def plot_feature_maps(
    model: keras.Model,
    image: np.ndarray,
    layer_names: str | Sequence[str],
    *,
    max_channels: int = 16,
    scale: str = "shared",
    cmap: str = "viridis",
    ncols: int = 8,
    fig: Figure | None = None,
) -> Figure:
    """Draw the channels that chosen layers output for one image.

    Each layer gets a block of small images, one per channel (the first ``max_channels``),
    titled with the layer's name and output shape.

    Args:
        model: a built Keras model whose input is an image.
        image: one image, of shape ``(H, W)``, ``(H, W, C)`` or ``(1, H, W, C)``.
        layer_names: the layer (or layers) to show; each must output ``(h, w, channels)``.
        max_channels: show at most this many channels per layer.
        scale: ``"shared"``, one colour scale per layer, so channels can be compared (a
            colour bar shows it); or ``"per_channel"``, each channel stretched to its own range,
            to see the pattern in weak channels. A constant ("dead") channel is drawn flat.
        cmap: a matplotlib colour map.
        ncols: channels per row.
        fig: a matplotlib Figure to draw into; a new one if ``None``.

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = plot_feature_maps(model, image, ["conv2d", "max_pooling2d"])  # doctest: +SKIP
        >>> plt.show()  # doctest: +SKIP
    """
    from .activations import get_activations

    _check_fig(fig, "plot_feature_maps")
    if scale not in _SCALES:
        raise ValueError(
            f"scale must be 'shared' (one colour scale per layer) or 'per_channel', got {scale!r}."
        )
    if isinstance(max_channels, bool) or not isinstance(max_channels, int) or max_channels < 1:
        raise ValueError(f"max_channels must be a positive int, got {max_channels!r}.")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}.")
    if isinstance(layer_names, str):
        names = [layer_names]
    elif isinstance(layer_names, list | tuple) and all(isinstance(n, str) for n in layer_names):
        names = list(dict.fromkeys(layer_names))  # each layer once, in the order given
    else:
        raise TypeError(
            "layer_names must be a layer name or a list of names, e.g. ['conv1', 'pool1']; "
            f"got {layer_names!r}."
        )
    if not names:
        raise ValueError("layer_names is empty: name at least one layer, e.g. 'conv1'.")
    batch = _image_batch(model, image)
    acts = get_activations(model, batch, names)
    for name, a in acts.items():
        if a.ndim != 4:
            raise ValueError(
                f"Layer {name!r} outputs shape {a.shape[1:]}, which is not a stack of 2-D maps "
                "(height, width, channels). Choose a convolution or pooling layer."
            )
    shown = {n: min(a.shape[-1], max_channels) for n, a in acts.items()}
    cols = min(ncols, max(shown.values()))
    grid_rows = {n: math.ceil(c / cols) for n, c in shown.items()}
    if fig is None:
        height = sum(1.25 * r + 0.45 for r in grid_rows.values())
        fig = _new_figure((1.25 * cols + 1.0, height))
    subfigs = fig.subfigures(len(names), 1, height_ratios=[r + 0.4 for r in grid_rows.values()])
    subfigs = np.atleast_1d(subfigs)
    for subfig, (name, a) in zip(subfigs, acts.items(), strict=True):
        maps = a[0]
        n = shown[name]
        channels = maps.shape[-1]
        shape_text = "×".join(str(d) for d in maps.shape)
        more = f", first {n} of {channels} channels" if n < channels else ""
        subfig.suptitle(f"{name}: {shape_text}{more}", fontsize=10)
        axes = subfig.subplots(grid_rows[name], cols, squeeze=False)
        shared = _limits(maps[..., :n])
        image_artist = None
        for i, ax in enumerate(axes.flat):
            ax.set_xticks([])
            ax.set_yticks([])
            if i >= n:
                ax.set_axis_off()
                continue
            channel = maps[..., i]
            vmin, vmax = shared if scale == "shared" else _limits(channel)
            image_artist = ax.imshow(channel, cmap=cmap, vmin=vmin, vmax=vmax)
            flat = float(np.ptp(channel)) == 0.0
            ax.set_title(f"ch {i}" + (" (constant)" if flat else ""), fontsize=8)
        if scale == "shared" and image_artist is not None:
            subfig.colorbar(image_artist, ax=axes, shrink=0.8, label="activation")
    return fig


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


def plot_filters(
    layer: keras.layers.Layer,
    *,
    max_filters: int = 32,
    channel: int | str | None = None,
    cmap: str = "gray",
    ncols: int = 8,
    fig: Figure | None = None,
) -> Figure:
    """Draw the kernels of a 2-D convolution layer as small images.

    A first layer that reads RGB images (3 input channels) is shown in colour, each filter
    stretched to its own range; otherwise one input channel (``channel``, default 0, or
    ``"mean"``) is shown in grey on one symmetric scale around zero: black is negative, white
    positive, and a colour bar gives the values.

    Args:
        layer: a built ``Conv2D`` (or ``Conv2DTranspose``, ``DepthwiseConv2D``) layer.
        max_filters: show at most this many filters.
        channel: which input channel to show (an int), ``"mean"``, or ``None`` for RGB
            when there are 3 input channels and channel 0 otherwise.
        cmap: colour map of the single-channel view.
        ncols: filters per row.
        fig: a matplotlib Figure to draw into; a new one if ``None``.

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = plot_filters(model.get_layer("conv2d"))  # doctest: +SKIP
    """
    _check_fig(fig, "plot_filters")
    kernel_var = getattr(layer, "kernel", None) if getattr(layer, "built", False) else None
    if kernel_var is None:
        kernel_var = getattr(layer, "depthwise_kernel", None)
    if not hasattr(layer, "built") or kernel_var is None:
        what = type(layer).__name__
        if hasattr(layer, "built") and not layer.built:
            raise ValueError(
                f"Layer {layer.name!r} ({what}) is not built, so it has no kernel yet. Build "
                "the model first (start it with keras.Input, or call it on data)."
            )
        raise TypeError(
            f"plot_filters expects a convolution layer such as model.get_layer('conv2d'), "
            f"got {what}."
        )
    kernel = np.array(kernel_var.numpy())
    if kernel.ndim != 4:
        raise ValueError(
            f"plot_filters draws 2-D kernels (shape kh×kw×in×filters); layer {layer.name!r} has "
            f"a kernel of shape {kernel.shape}."
        )
    if isinstance(max_filters, bool) or not isinstance(max_filters, int) or max_filters < 1:
        raise ValueError(f"max_filters must be a positive int, got {max_filters!r}.")
    if "Transpose" in type(layer).__name__:
        kernel = kernel.transpose(0, 1, 3, 2)  # Keras stores these as kh×kw×filters×in
    kh, kw, cin, nf = kernel.shape
    n = min(nf, max_filters)
    rgb = channel is None and cin == 3
    if channel is None:
        channel = 0
    if not rgb:
        if channel == "mean":
            planes = kernel.mean(axis=2)
            which = "mean over input channels"
        elif isinstance(channel, int) and not isinstance(channel, bool) and 0 <= channel < cin:
            planes = kernel[:, :, channel, :]
            which = f"input channel {channel}"
        else:
            raise ValueError(
                f"channel must be an input channel between 0 and {cin - 1}, 'mean' or None, "
                f"got {channel!r}."
            )
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    if fig is None:
        fig = _new_figure((1.1 * cols + (1.0 if not rgb else 0.3), 1.1 * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False)
    bound = float(np.abs(kernel).max()) or 1.0
    artist = None
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_axis_off()
            continue
        if rgb:
            k = kernel[..., i]
            lo, hi = _limits(k)
            ax.imshow((k - lo) / (hi - lo), interpolation="nearest")
        else:
            artist = ax.imshow(
                planes[..., i], cmap=cmap, vmin=-bound, vmax=bound, interpolation="nearest"
            )
        ax.set_title(f"filter {i}", fontsize=8)
    more = f", first {n} of {nf}" if n < nf else ""
    view = "RGB, each filter stretched" if rgb else which
    fig.suptitle(f"{layer.name}: {nf} filters of {kh}×{kw}×{cin}{more} ({view})", fontsize=10)
    if artist is not None:
        fig.colorbar(artist, ax=axes, shrink=0.8, label="weight")
    return fig


# --------------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------------

_KIND_COLOURS = {  # viridis samples: dark for the input, bright for the classifier
    "input": "#9a9a9a",
    "conv": "#3b528b",
    "pool": "#21918c",
    "reshape": "#5ec962",
    "dense": "#fde725",
    "other": "#b5a8d6",
}

_ELEMENTWISE = {
    "Dropout",
    "SpatialDropout2D",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Softmax",
    "BatchNormalization",
    "LayerNormalization",
    "Rescaling",
    "Normalization",
    "GaussianNoise",
}


def _kind(layer_type: str) -> str:
    if "Pool" in layer_type:
        return "pool"
    if "Conv" in layer_type:
        return "conv"
    if layer_type in ("Flatten", "Reshape"):
        return "reshape"
    if layer_type == "Dense":
        return "dense"
    return "other"


def _pair(v) -> str:
    v = tuple(v) if isinstance(v, tuple | list) else (v, v)
    return "×".join(str(x) for x in v)


def _block_label(layer) -> str:
    t = type(layer).__name__
    if "Conv" in t and hasattr(layer, "kernel_size"):
        name = {"Conv2D": "Conv", "Conv2DTranspose": "ConvT", "DepthwiseConv2D": "DWConv"}.get(t, t)
        text = f"{name} {_pair(layer.kernel_size)}"
        strides = tuple(layer.strides)
        if max(strides) > 1:
            text += f", stride {strides[0]}"
        if getattr(layer, "padding", "valid") == "same":
            text += ", same"
    elif "Pooling" in t and hasattr(layer, "pool_size"):
        text = ("MaxPool " if "Max" in t else "AvgPool ") + _pair(layer.pool_size)
    elif t.startswith("Global"):
        text = "GlobalMaxPool" if "Max" in t else "GlobalAvgPool"
    elif t == "Dense":
        text = f"Dense {layer.units}"
    else:
        text = t
    act = getattr(layer, "activation", None)
    act_name = getattr(act, "__name__", "")
    if act_name and act_name != "linear":
        text += f"\n+ {act_name}"
    return text


def _cuboid(ax, x, height, thickness, depth, colour, zorder):
    """A feature-map stack: front face thickness × height, receding by depth."""
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Polygon

    r, g, b = to_rgb(colour)
    light = (min(1, r * 0.6 + 0.4), min(1, g * 0.6 + 0.4), min(1, b * 0.6 + 0.4))
    dark = (r * 0.7, g * 0.7, b * 0.7)
    dx, dy = 0.55 * depth, 0.4 * depth
    y0, y1 = -height / 2, height / 2
    edge = {"edgecolor": "#333333", "linewidth": 0.7, "zorder": zorder}
    ax.add_patch(
        Polygon(
            [(x, y1), (x + thickness, y1), (x + thickness + dx, y1 + dy), (x + dx, y1 + dy)],
            facecolor=light,
            **edge,
        )
    )
    ax.add_patch(
        Polygon(
            [
                (x + thickness, y0),
                (x + thickness + dx, y0 + dy),
                (x + thickness + dx, y1 + dy),
                (x + thickness, y1),
            ],
            facecolor=dark,
            **edge,
        )
    )
    ax.add_patch(
        Polygon(
            [(x, y0), (x + thickness, y0), (x + thickness, y1), (x, y1)], facecolor=colour, **edge
        )
    )
    return x + thickness + dx, y1 + dy


def plot_pipeline(
    model: keras.Model,
    input_shape: tuple[int, ...] | None = None,
    *,
    ax: Axes | None = None,
    show_params: bool = True,
) -> Axes:
    """Draw a CNN as a pipeline: image → conv → pool → … → flatten → dense → class scores.

    One block per layer, sized by its output shape (height by the spatial size, thickness by
    the number of channels, both on compressed scales so that small maps stay visible), and
    labelled with the layer and its shape. Element-wise layers (activations, dropout,
    normalisation) are folded into the label of the block before them.

    Args:
        model: a Keras model whose layers form a chain (a Sequential CNN, typically).
        input_shape: one example's shape, for a Sequential without ``keras.Input``.
        ax: a matplotlib Axes to draw on; a new figure if ``None``.
        show_params: write each block's parameter count under its shape.

    Returns:
        The matplotlib Axes.

    Raises:
        ValueError: the model branches (draw those with ``keras.utils.plot_model``) or cannot
            take ``input_shape`` (the message carries :func:`shape_table`'s hint).

    Example:
        >>> ax = plot_pipeline(model)  # doctest: +SKIP
        >>> plt.show()  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    from .shapes import format_shape, shape_table

    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}.")
    table = shape_table(model, input_shape, expand_nested=True)
    if not table.ok:
        raise ValueError(f"Cannot draw {model.name!r}: {table.error} {table.hint}")
    rows = [r for r in table.rows if r.layer_type != "InputLayer"]
    if any(isinstance(r.input_shape[0], tuple) for r in rows if r.input_shape):
        raise ValueError(
            f"plot_pipeline draws a chain of layers, but {model.name!r} has branches that merge. "
            "Use keras.utils.plot_model for graphs, or helpers.shape_table for the shapes."
        )
    layers_by_name = {}
    for layer in _flat_layers(model):
        layers_by_name.setdefault(layer.name, layer)

    # Blocks: (kind, label, shape, params); element-wise layers fold into the previous block.
    blocks = [
        ["input", "input image" if len(table.input_shape) == 3 else "input", table.input_shape, 0]
    ]
    for r in rows:
        layer = layers_by_name.get(r.name.split("/")[-1])
        if r.layer_type in _ELEMENTWISE and blocks:
            short = {"BatchNormalization": "batch norm", "Activation": "activation"}.get(
                r.layer_type, r.layer_type
            )
            if layer is not None and r.layer_type == "Activation":
                short = getattr(layer.activation, "__name__", short)
            blocks[-1][1] += f"\n+ {short}"
            blocks[-1][3] += r.params
            continue
        label = _block_label(layer) if layer is not None else r.layer_type
        blocks.append([_kind(r.layer_type), label, r.output_shape, r.params])
    if blocks[-1][0] == "dense" and len(blocks[-1][2]) == 1:
        blocks[-1][0] = "scores"

    spatial = [max(d or 1 for d in b[2][:-1]) for b in blocks if len(b[2]) >= 2]
    smax = max(spatial) if spatial else 1
    chans = [b[2][-1] or 1 for b in blocks if len(b[2]) >= 2]
    cmax = max(chans) if chans else 1
    vecs = [b[2][0] or 1 for b in blocks if len(b[2]) == 1]
    vmax = max(vecs) if vecs else 1

    own_figure = ax is None
    if own_figure:
        fig = plt.figure(figsize=(6.0, 3.8), layout="constrained")
        ax = fig.add_subplot()
    x = 0.0
    top_max, bottom_min = 0.0, 0.0
    prev_right = None
    labels = []
    kinds_drawn = []
    for kind, label, shape, params in blocks:
        colour = _KIND_COLOURS.get("dense" if kind == "scores" else kind, _KIND_COLOURS["other"])
        kinds_drawn.append("dense" if kind == "scores" else kind)
        if len(shape) >= 2:  # a stack of feature maps: a box
            s = max(d or 1 for d in shape[:-1])
            height = 0.5 + 2.3 * math.sqrt(s / smax)
            c = shape[-1] or 1
            thickness = 0.08 + 0.5 * math.log2(c + 1) / math.log2(cmax + 1)
            depth = 0.6 * height
            width = thickness + 0.55 * depth
        elif kind == "scores" and (shape[0] or 0) <= 20:  # one cell per class
            cell = min(0.22, 2.6 / shape[0])
            height = width = cell
            height = cell * shape[0]
        else:  # a vector: a bar, its height on a log scale
            v = shape[0] or 1
            height = 0.4 + 2.4 * math.log10(v + 1) / math.log10(max(vmax, 10_000) + 1)
            width = 0.18
        slot = max(width, 1.3)  # room for a label such as "102,464 params" underneath
        left = x + (slot - width) / 2
        if len(shape) >= 2:
            _, top = _cuboid(ax, left, height, thickness, depth, colour, zorder=2)
            arrow_out = left + thickness + 0.275 * depth
        elif kind == "scores" and (shape[0] or 0) <= 20:
            for i in range(shape[0]):
                ax.add_patch(_rect(left, height / 2 - (i + 1) * cell, cell, cell, colour, 2))
            top, arrow_out = height / 2, left + width
        else:
            ax.add_patch(_rect(left, -height / 2, width, height, colour, 2))
            top, arrow_out = height / 2, left + width
        if prev_right is not None:
            ax.annotate(
                "",
                xy=(left - 0.04, 0),
                xytext=(prev_right + 0.04, 0),
                arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 1.0},
                zorder=1,
            )
        centre = left + width / 2
        shape_text = f"{shape[0]} class scores" if kind == "scores" else format_shape(shape)
        below = shape_text + (f"\n{params:,} params" if show_params and params else "")
        ax.text(centre, -height / 2 - 0.15, below, ha="center", va="top", fontsize=7.5)
        labels.append((centre, top, label))
        top_max = max(top_max, top)
        bottom_min = min(bottom_min, -height / 2)
        prev_right = arrow_out
        x += slot + 0.45
    for centre, top, label in labels:
        ax.text(centre, top + 0.12, label, ha="center", va="bottom", fontsize=7.5, weight="bold")
    from matplotlib.patches import Patch

    names = {
        "input": "input",
        "conv": "convolution",
        "pool": "pooling",
        "reshape": "flatten / reshape",
        "dense": "dense",
        "other": "other",
    }
    handles = [
        Patch(facecolor=_KIND_COLOURS[k], edgecolor="#333333", label=names[k])
        for k in names
        if k in kinds_drawn
    ]
    ax.legend(
        handles=handles,
        loc="lower center",
        ncols=len(handles),
        fontsize=7.5,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )
    ax.set_xlim(-0.3, x - 0.15)
    if own_figure:
        # Labels are sized in points, blocks in data units: about 0.62 inch per unit keeps every
        # label inside its block's slot, however many layers the model has.
        ax.figure.set_size_inches(max(6.0, 0.62 * (x + 0.15)), 3.8)
    ax.set_ylim(bottom_min - 1.25, top_max + 0.75)
    ax.set_aspect("equal")
    ax.set_axis_off()
    last = blocks[-1]
    result = (
        f"{last[2][0]} class scores" if last[0] == "scores" else f"{format_shape(last[2])} output"
    )
    ax.set_title(
        f"{model.name}: {format_shape(table.input_shape)} input → {result}, "
        f"{table.total_params:,} parameters",
        fontsize=10,
    )
    return ax


def _rect(x, y, w, h, colour, zorder):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (x, y), w, h, facecolor=colour, edgecolor="#333333", linewidth=0.7, zorder=zorder
    )


def _flat_layers(model):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _flat_layers(layer)
        else:
            yield layer


# --------------------------------------------------------------------------------------------
# One convolution step
# --------------------------------------------------------------------------------------------


def _as_2d(name: str, a) -> np.ndarray:
    if hasattr(a, "numpy"):
        a = a.numpy()
    if not isinstance(a, np.ndarray | list | tuple):
        raise TypeError(f"{name} must be a 2-D NumPy array, got {type(a).__name__}.")
    a = np.asarray(a, dtype=float)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (one channel), got shape {a.shape}. For a colour image, "
            "pick one channel, e.g. image[..., 0]."
        )
    return a


def _number(v: float, integers: bool) -> str:
    if integers:
        return f"{int(round(v))}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v) < 100 else f"{v:.0f}"


def _write_cells(ax, values, integers, norm_img, max_cells=12):
    if values.shape[0] > max_cells or values.shape[1] > max_cells:
        return
    cmap = norm_img.get_cmap()
    norm = norm_img.norm
    for (i, j), v in np.ndenumerate(values):
        r, g, b, _ = cmap(norm(v))
        colour = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        ax.text(j, i, _number(v, integers), ha="center", va="center", fontsize=8, color=colour)


def plot_conv_step(
    image: np.ndarray, kernel: np.ndarray, row: int, col: int, *, fig: Figure | None = None
) -> Figure:
    """Show how one output pixel of a convolution is computed.

    Four panels: the input with the kernel's current window outlined, the kernel, the
    element-wise products of window and kernel, and the output map with the new pixel, the
    sum of the products. Numbers are written in the cells. The convolution is Keras'
    (a cross-correlation, stride 1, ``padding="valid"``).

    Args:
        image: a 2-D array (one channel).
        kernel: a 2-D array, no larger than the image.
        row, col: the output pixel to compute (0-based).
        fig: a matplotlib Figure to draw into; a new one if ``None``.

    Returns:
        The matplotlib Figure.

    Example:
        >>> image = np.arange(25).reshape(5, 5)
        >>> fig = plot_conv_step(image, np.eye(3), 1, 2)  # doctest: +SKIP
    """
    from matplotlib.patches import Rectangle

    _check_fig(fig, "plot_conv_step")
    img = _as_2d("image", image)
    ker = _as_2d("kernel", kernel)
    kh, kw = ker.shape
    if kh > img.shape[0] or kw > img.shape[1]:
        raise ValueError(
            f"The kernel ({kh}×{kw}) is larger than the image ({img.shape[0]}×{img.shape[1]}); "
            "use a smaller kernel."
        )
    oh, ow = img.shape[0] - kh + 1, img.shape[1] - kw + 1
    for name, v, hi in (("row", row, oh), ("col", col, ow)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 0 <= v < hi:
            raise ValueError(
                f"{name} must be an int from 0 to {hi - 1} (the output is {oh}×{ow}), got {v!r}."
            )
    patch = img[row : row + kh, col : col + kw]
    products = patch * ker
    output = np.array(
        [[np.sum(img[i : i + kh, j : j + kw] * ker) for j in range(ow)] for i in range(oh)]
    )
    integers = all(np.allclose(a, np.round(a)) for a in (img, ker))
    if fig is None:
        fig = _new_figure((11.0, 3.2))
    axes = fig.subplots(1, 4, width_ratios=[img.shape[1], kw + 0.6, kw + 0.6, ow + 0.6])
    panels = [
        (img, f"input {img.shape[0]}×{img.shape[1]}", "gray"),
        (ker, f"kernel {kh}×{kw}", "cividis"),
        (products, "window × kernel", "cividis"),
        (output, f"output {oh}×{ow}", "viridis"),
    ]
    for ax, (values, title, cmap) in zip(axes, panels, strict=True):
        lo, hi = _limits(values)
        im = ax.imshow(values, cmap=cmap, vmin=lo, vmax=hi)
        _write_cells(ax, values, integers, im)
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(values.shape[1]))
        ax.set_yticks(range(values.shape[0]))
        ax.tick_params(labelsize=7, length=0)
    axes[0].set_xlabel("column")
    axes[0].set_ylabel("row")
    axes[0].add_patch(
        Rectangle((col - 0.5, row - 0.5), kw, kh, fill=False, edgecolor="#fde725", linewidth=2.5)
    )
    axes[3].add_patch(
        Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="#fde725", linewidth=2.5)
    )
    total = output[row, col]
    axes[2].set_xlabel(f"sum = {_number(total, integers)}")
    axes[3].set_xlabel(f"output[{row}, {col}] = {_number(total, integers)}")
    fig.suptitle(
        f"Output pixel ({row}, {col}): multiply the {kh}×{kw} window at ({row}, {col}) by the "
        "kernel, element by element, and add up",
        fontsize=10,
    )
    return fig
