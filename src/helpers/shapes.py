"""A layer-by-layer table of a Keras model's shapes, each explained by its formula.

:func:`shape_table` is ``model.summary()`` with the working shown: for every layer the input and
output shape, the formula that turns one into the other with the numbers filled in, the
parameter count and where it comes from, the multiply-adds, the receptive field and the memory
of the activations. Each predicted shape is checked against Keras' own shape inference, so the
table never disagrees with Keras; a model that breaks part-way gives the rows that worked plus a
plain-language hint instead of a traceback.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import arithmetic as ar
from .arithmetic import ReceptiveField

if TYPE_CHECKING:
    import keras

__all__ = ["ShapeRow", "ShapeTable", "shape_table"]

NO_FORMULA = "no formula (Keras' shape inference)"
Shape = tuple  # a shape without the batch dimension, e.g. (40, 40, 32); None for unknown sizes


# --------------------------------------------------------------------------------------------
# Rows and table
# --------------------------------------------------------------------------------------------


def format_shape(shape) -> str:
    """``(40, 40, 32)`` as ``'40×40×32'``; unknown sizes as ``?``; several inputs joined by +."""
    if shape and isinstance(shape[0], tuple):
        return " + ".join(format_shape(s) for s in shape)
    if len(shape) == 0:
        return "scalar"
    return "×".join("?" if d is None else str(d) for d in shape)


def _format_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


@dataclass(frozen=True)
class ShapeRow:
    """One layer of a :class:`ShapeTable`.

    Shapes are tuples without the batch dimension, e.g. ``(40, 40, 32)``; a merge layer's
    ``input_shape`` is a tuple of shapes. ``receptive_field`` is along the first spatial axis
    (height), or ``None`` once the spatial layout is gone (after Flatten or global pooling) or
    cannot be tracked.
    """

    name: str
    layer_type: str
    input_shape: tuple
    output_shape: tuple
    formula: str
    params: int
    params_formula: str
    macs: int | None = 0  # None: depends on a size that is not fixed (an Input with None)
    receptive_field: ReceptiveField | None = None
    activation_bytes: int | None = None
    note: str = ""
    receptive_fields: tuple = field(default=(), repr=False)

    @property
    def receptive_field_text(self) -> str:
        """``'11×11'`` for a field tracked on every spatial axis, ``'-'`` otherwise."""
        if not self.receptive_fields:
            return "-"
        return "×".join(str(rf.size) for rf in self.receptive_fields)


_COLUMNS = (
    ("Layer (type)", lambda r: f"{r.name} ({r.layer_type})"),
    ("Input", lambda r: format_shape(r.input_shape)),
    ("Output", lambda r: format_shape(r.output_shape)),
    ("Output shape formula", lambda r: r.formula),
    ("Params", lambda r: f"{r.params:,}"),
    ("Params formula", lambda r: r.params_formula),
    ("Mult-adds", lambda r: "?" if r.macs is None else f"{r.macs:,}"),
    ("Receptive field", lambda r: r.receptive_field_text),
    ("Activations", lambda r: _format_bytes(r.activation_bytes)),
)


class ShapeTable:
    """What :func:`shape_table` found: rows of data that print as a table.

    ``str(table)`` is a text table, a notebook renders it as HTML, ``table.rows`` is the data.
    Look a row up by layer name (``table["conv2d"]`` or ``table.row("conv2d")``) or position.

    Attributes:
        rows: one :class:`ShapeRow` per layer, in the model's order.
        input_shape: the model's input shape (without the batch dimension).
        total_params: parameter count of all rows (equals ``model.count_params()``).
        total_macs: multiply-adds of one example through all rows whose count is known (see
            ``unknown_macs``).
        unknown_macs: names of the rows whose multiply-adds depend on a size left as ``None``.
        ok: ``False`` when a layer could not take its input; the rows stop there.
        error: what went wrong, in one sentence, or ``None``.
        hint: how to fix it (or, for a model that works, something that may surprise), or ``None``.
    """

    def __init__(
        self,
        model_name: str,
        rows: list[ShapeRow],
        input_shape: tuple,
        *,
        total_params: int | None = None,
        ok: bool = True,
        error: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.rows = list(rows)
        self.input_shape = input_shape
        self.total_params = (
            sum(r.params for r in self.rows) if total_params is None else total_params
        )
        self.total_macs = sum(r.macs for r in self.rows if r.macs is not None)
        self.unknown_macs = [r.name for r in self.rows if r.macs is None]
        self.ok = ok
        self.error = error
        self.hint = hint

    @property
    def names(self) -> list[str]:
        """The layer names, in row order."""
        return [r.name for r in self.rows]

    def row(self, name: str) -> ShapeRow:
        """The row of the layer called ``name``.

        Raises:
            KeyError: no such layer; the message lists the names there are.
        """
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"No layer named {name!r} in this table. Layers: {', '.join(self.names)}.")

    def __getitem__(self, key: str | int) -> ShapeRow:
        if isinstance(key, str):
            return self.row(key)
        if isinstance(key, int):
            return self.rows[key]
        raise TypeError(f"Index a ShapeTable by layer name or position, got {key!r}.")

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def _footer(self) -> list[str]:
        lines = [
            f"Input: {format_shape(self.input_shape)}",
            f"Total params: {self.total_params:,}",
            f"Total mult-adds: {self.total_macs:,}"
            + (
                f" plus unknown ({', '.join(self.unknown_macs)}: their count depends on a size "
                "left as None)"
                if self.unknown_macs
                else ""
            ),
        ]
        if self.error:
            lines.append(f"Error: {self.error}")
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return lines

    def __str__(self) -> str:
        header = [c[0] for c in _COLUMNS]
        body = [[fn(r) for _, fn in _COLUMNS] for r in self.rows]
        widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
        right = {4, 6}  # numbers are right-aligned

        def line(cells):
            parts = [
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(parts).rstrip()

        rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
        out = [f'Model "{self.model_name}"', rule, line(header), rule]
        out += [line(b) for b in body]
        out.append(rule)
        out += self._footer()
        return "\n".join(out)

    def __repr__(self) -> str:
        status = "ok" if self.ok else "failed"
        return (
            f"<ShapeTable {self.model_name!r}: {len(self.rows)} rows, "
            f"{self.total_params:,} params, {status}>"
        )

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        esc = html.escape
        # Inline styles: they survive Jupyter's output sanitizer and the website's theme alike.
        # One line per cell, and a horizontal scroll bar rather than wrapped formulas.
        cell = "white-space:nowrap;padding:2px 8px;"
        head = "".join(
            f'<th style="{cell}text-align:left">{esc(c[0])}</th>' for c in _COLUMNS
        )
        body = []
        for r in self.rows:
            cells = []
            for i, (_, fn) in enumerate(_COLUMNS):
                align = "text-align:right" if i in (4, 6) else "text-align:left"
                cells.append(f'<td style="{cell}{align}">{esc(fn(r))}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        footer = "<br>".join(esc(x) for x in self._footer())
        return (
            f'<div class="shape-table" style="overflow-x:auto;max-width:100%">'
            f'<p><strong>Model "{esc(self.model_name)}"</strong></p>'
            f'<table style="font-size:0.8em;border-collapse:collapse;width:auto">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<p>{footer}</p></div>"
        )


# --------------------------------------------------------------------------------------------
# Formulas per layer type
# --------------------------------------------------------------------------------------------


class _Refused(Exception):
    """Our arithmetic says the layer cannot take this input (the message is the hint)."""


@dataclass
class _Explanation:
    output_shape: tuple | None = None  # None: no formula, use Keras' shape
    formula: str = NO_FORMULA
    params: int | None = None  # None: count with Keras
    params_formula: str | None = None
    macs: int | None = 0
    # per spatial axis: ("step", k, s, d, pad_before) lists, "keep", "lost" or "unknown"
    rf: Any = "keep"
    note: str = ""


def _axes_text(texts: list[str]) -> str:
    if len(set(texts)) == 1:
        return texts[0]
    names = ("h", "w") if len(texts) == 2 else ("d", "h", "w")[-len(texts) :]
    return "; ".join(f"{n}: {t}" for n, t in zip(names, texts, strict=False))


def _tup(v, rank: int) -> tuple:
    return tuple(v) if isinstance(v, tuple | list) else (v,) * rank


def _channels_last(layer) -> bool:
    return getattr(layer, "data_format", "channels_last") in (None, "channels_last")


def _conv_like(layer, shape: Shape, kind: str) -> _Explanation:
    rank = len(shape) - 1
    spatial, c_in = shape[:-1], shape[-1]
    ks = _tup(layer.kernel_size, rank)
    strides = _tup(layer.strides, rank)
    dil = _tup(getattr(layer, "dilation_rate", 1), rank)
    padding = layer.padding
    outs, texts, steps = [], [], []
    for n, k, s, d in zip(spatial, ks, strides, dil, strict=True):
        if n is None:
            outs.append(None)
            texts.append("? (unknown input size)")
            steps = None
            continue
        try:
            if kind == "transpose":
                o = ar.conv_transpose_output_length(
                    n,
                    k,
                    s,
                    padding,
                    None
                    if layer.output_padding is None
                    else _tup(layer.output_padding, rank)[len(outs)],
                    d,
                )
            else:
                o = ar.conv_output_length(n, k, s, padding, d)
        except ValueError as e:
            raise _Refused(str(e)) from None
        outs.append(int(o))
        texts.append(o.formula)
        if steps is not None:
            if padding == "same":
                pad = ar.same_padding(n, k, s, d).before
            elif padding == "causal":
                pad = d * (k - 1)
            else:
                pad = 0
            steps.append((k, s, d, pad))
    exp = _Explanation(formula=_axes_text(texts))
    exp.rf = steps if (steps is not None and kind != "transpose") else "unknown"
    if c_in is None:
        return exp
    groups = getattr(layer, "groups", 1) or 1
    known_out = all(o is not None for o in outs)
    if kind in ("conv", "transpose"):
        f = layer.filters
        exp.output_shape = (*outs, f)
        p = ar.conv_params(ks, c_in // groups, f, layer.use_bias)
        exp.params, exp.params_formula = int(p), p.formula
        if groups != 1:
            exp.params_formula += f" (groups={groups}: each filter sees {c_in // groups} channels)"
        exp.macs = None  # unknown until the spatial sizes are
        if known_out:
            if kind == "transpose":
                if all(n is not None for n in spatial):
                    exp.macs = math.prod(spatial) * math.prod(ks) * c_in * f
            else:
                exp.macs = int(ar.conv_macs(outs, ks, c_in // groups, f))
    elif kind == "depthwise":
        m = layer.depth_multiplier
        exp.output_shape = (*outs, c_in * m)
        p = ar.depthwise_conv_params(ks, c_in, m, layer.use_bias)
        exp.params, exp.params_formula = int(p), p.formula
        exp.macs = math.prod(outs) * c_in * m * math.prod(ks) if known_out else None
    elif kind == "separable":
        m, f = layer.depth_multiplier, layer.filters
        exp.output_shape = (*outs, f)
        p = ar.separable_conv_params(ks, c_in, f, m, layer.use_bias)
        exp.params, exp.params_formula = int(p), p.formula
        exp.macs = (
            math.prod(outs) * (c_in * m * math.prod(ks) + c_in * m * f) if known_out else None
        )
    return exp


def _pool(layer, shape: Shape) -> _Explanation:
    rank = len(shape) - 1
    ps = _tup(layer.pool_size, rank)
    strides = _tup(layer.strides if layer.strides is not None else layer.pool_size, rank)
    outs, texts, steps = [], [], []
    for n, p, s in zip(shape[:-1], ps, strides, strict=True):
        if n is None:
            outs.append(None)
            texts.append("? (unknown input size)")
            steps = None
            continue
        try:
            o = ar.pool_output_length(n, p, s, layer.padding)
        except ValueError as e:
            raise _Refused(str(e)) from None
        outs.append(int(o))
        texts.append(o.formula)
        if steps is not None:
            pad = ar.same_padding(n, p, s).before if layer.padding == "same" else 0
            steps.append((p, s, 1, pad))
    return _Explanation(
        output_shape=(*outs, shape[-1]),
        formula=_axes_text(texts),
        params=0,
        params_formula="0 (no weights)",
        rf=steps if steps is not None else "unknown",
    )


def _global_pool(layer, shape: Shape) -> _Explanation:
    kind = "maximum" if "Max" in type(layer).__name__ else "mean"
    c = shape[-1]
    if getattr(layer, "keepdims", False):
        out = (*(1,) * (len(shape) - 1), c)
    else:
        out = (c,)
    return _Explanation(
        output_shape=out,
        formula=f"one {kind} per channel over {format_shape(shape[:-1])} → {c}",
        params=0,
        params_formula="0 (no weights)",
        rf="lost",
    )


def _flatten(layer, shape: Shape) -> _Explanation:
    if any(d is None for d in shape):
        return _Explanation(
            output_shape=(None,),
            formula=f"{format_shape(shape)} has unknown sizes → ?",
            params=0,
            params_formula="0 (no weights)",
            rf="lost",
        )
    n = math.prod(shape)
    return _Explanation(
        output_shape=(n,),
        formula=f"{'·'.join(str(d) for d in shape)} = {n:,}",
        params=0,
        params_formula="0 (no weights)",
        rf="lost",
    )


def _dense(layer, shape: Shape) -> _Explanation:
    n = shape[-1]
    if n is None:
        raise _Refused(
            "Dense needs to know the size of the last axis of its input, but it is unknown "
            f"(input {format_shape(shape)}). A Flatten of an image with unknown height or width "
            "gives an unknown length: give keras.Input a fixed image size, or replace Flatten "
            "by GlobalAveragePooling2D or GlobalMaxPooling2D, which work for any image size."
        )
    u = layer.units
    p = ar.dense_params(n, u, layer.use_bias)
    exp = _Explanation(
        output_shape=(*shape[:-1], u),
        params=int(p),
        params_formula=p.formula,
    )
    if len(shape) == 1:
        exp.formula = f"{u} units"
        exp.macs = int(ar.dense_macs(n, u))
        exp.rf = "lost"
    else:
        exp.formula = (
            f"acts on the last axis only: {format_shape(shape[:-1])}×{n} → "
            f"{format_shape(shape[:-1])}×{u}"
        )
        if all(d is not None for d in shape[:-1]):
            exp.macs = int(ar.dense_macs(n, u, math.prod(shape[:-1])))
        else:
            exp.macs = None
        exp.rf = "keep"
        exp.note = (
            f"Dense acted on the last axis of a {len(shape)}-D input, giving "
            f"{format_shape(exp.output_shape)} instead of ({u},): one set of {u} scores per "
            f"position. Put Flatten or GlobalMaxPooling2D before it to get one score per class."
        )
    return exp


def _same_shape(what: str):
    def explain(layer, shape: Shape) -> _Explanation:
        return _Explanation(output_shape=tuple(shape), formula=f"same shape ({what})")

    return explain


def _batch_norm(layer, shape: Shape) -> _Explanation:
    exp = _same_shape("normalised per channel")(layer, shape)
    axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
    c = shape[axis - 1] if axis > 0 else shape[axis]  # axis counts the batch dimension
    if c is not None:
        p = ar.batch_norm_params(c, layer.center, layer.scale)
        exp.params, exp.params_formula = int(p), p.formula
    return exp


def _layer_norm(layer, shape: Shape) -> _Explanation:
    exp = _same_shape("normalised per example")(layer, shape)
    c = shape[-1]
    if c is not None:
        per = int(layer.center) + int(layer.scale)
        exp.params = per * c
        exp.params_formula = f"{per}·{c} = {per * c:,} (γ, β)"
    return exp


def _normalization(layer, shape: Shape) -> _Explanation:
    exp = _same_shape("(x − mean) / √variance")(layer, shape)
    c = shape[-1]
    if c is not None and getattr(layer, "axis", (-1,)) in ((-1,), -1, [-1]):
        # adapt() stores a mean and a variance per feature, plus how many examples it saw.
        exp.params = 2 * c + 1
        exp.params_formula = f"mean {c} + variance {c} + count 1 = {2 * c + 1:,} (not trained)"
    return exp


def _reshape(layer, shape: Shape) -> _Explanation:
    target = tuple(layer.target_shape)
    if any(d is None for d in shape):
        return _Explanation(formula=NO_FORMULA, params=0, params_formula="0 (no weights)")
    n = math.prod(shape)
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        if known == 0 or n % known:
            raise _Refused(
                f"Reshape cannot arrange {n:,} values as {target}: {n:,} is not a multiple "
                f"of {known:,}. Check target_shape."
            )
        out = tuple(n // known if d == -1 else d for d in target)
    else:
        out = target
        if math.prod(target) != n:
            raise _Refused(
                f"Reshape cannot arrange {n:,} values ({format_shape(shape)}) as "
                f"{format_shape(target)} ({math.prod(target):,} values). Their products must "
                f"match; use -1 for one size to let Keras compute it."
            )
    return _Explanation(
        output_shape=out,
        formula=f"{n:,} values → {format_shape(out)}",
        params=0,
        params_formula="0 (no weights)",
        rf="lost",
    )


def _pairs(padding, rank: int) -> list[tuple[int, int]]:
    if isinstance(padding, int):
        return [(padding, padding)] * rank
    out = []
    for p in padding:
        out.append((p, p) if isinstance(p, int) else (int(p[0]), int(p[1])))
    if len(out) == 1 and rank > 1:
        out = out * rank
    return out


def _zero_padding(layer, shape: Shape) -> _Explanation:
    rank = len(shape) - 1
    pads = _pairs(layer.padding, rank)
    outs, texts, steps = [], [], []
    for n, (a, b) in zip(shape[:-1], pads, strict=True):
        outs.append(None if n is None else n + a + b)
        texts.append(f"{n} + {a} + {b} = {n + a + b}" if n is not None else "?")
        steps.append((1, 1, 1, a))
    return _Explanation(
        output_shape=(*outs, shape[-1]),
        formula=_axes_text(texts),
        params=0,
        params_formula="0 (no weights)",
        rf=steps,
    )


def _cropping(layer, shape: Shape) -> _Explanation:
    rank = len(shape) - 1
    crops = _pairs(layer.cropping, rank)
    outs, texts, steps = [], [], []
    for n, (a, b) in zip(shape[:-1], crops, strict=True):
        if n is not None and n - a - b <= 0:
            raise _Refused(
                f"Cropping {a} + {b} pixels from an axis of length {n} leaves nothing. Crop less."
            )
        outs.append(None if n is None else n - a - b)
        texts.append(f"{n} − {a} − {b} = {n - a - b}" if n is not None else "?")
        steps.append((1, 1, 1, -a))
    return _Explanation(
        output_shape=(*outs, shape[-1]),
        formula=_axes_text(texts),
        params=0,
        params_formula="0 (no weights)",
        rf=steps,
    )


def _upsampling(layer, shape: Shape) -> _Explanation:
    rank = len(shape) - 1
    size = _tup(getattr(layer, "size", getattr(layer, "length", 2)), rank)
    outs = [None if n is None else n * s for n, s in zip(shape[:-1], size, strict=True)]
    texts = [f"{n}·{s} = {o}" for n, s, o in zip(shape[:-1], size, outs, strict=True)]
    return _Explanation(
        output_shape=(*outs, shape[-1]),
        formula=_axes_text(texts),
        params=0,
        params_formula="0 (no weights)",
        rf="unknown",
    )


def _conv_kind(kind: str):
    def explain(layer, shape: Shape) -> _Explanation:
        return _conv_like(layer, shape, kind)

    return explain


_SINGLE = {
    "Conv1D": _conv_kind("conv"),
    "Conv2D": _conv_kind("conv"),
    "Conv3D": _conv_kind("conv"),
    "Conv1DTranspose": _conv_kind("transpose"),
    "Conv2DTranspose": _conv_kind("transpose"),
    "Conv3DTranspose": _conv_kind("transpose"),
    "DepthwiseConv1D": _conv_kind("depthwise"),
    "DepthwiseConv2D": _conv_kind("depthwise"),
    "SeparableConv1D": _conv_kind("separable"),
    "SeparableConv2D": _conv_kind("separable"),
    "MaxPooling1D": _pool,
    "MaxPooling2D": _pool,
    "MaxPooling3D": _pool,
    "AveragePooling1D": _pool,
    "AveragePooling2D": _pool,
    "AveragePooling3D": _pool,
    "GlobalMaxPooling1D": _global_pool,
    "GlobalMaxPooling2D": _global_pool,
    "GlobalMaxPooling3D": _global_pool,
    "GlobalAveragePooling1D": _global_pool,
    "GlobalAveragePooling2D": _global_pool,
    "GlobalAveragePooling3D": _global_pool,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Dense": _dense,
    "Dropout": _same_shape("dropout only zeroes values during training"),
    "SpatialDropout1D": _same_shape("dropout only zeroes values during training"),
    "SpatialDropout2D": _same_shape("dropout only zeroes values during training"),
    "GaussianNoise": _same_shape("noise only during training"),
    "Activation": _same_shape("element-wise"),
    "ReLU": _same_shape("element-wise"),
    "LeakyReLU": _same_shape("element-wise"),
    "ELU": _same_shape("element-wise"),
    "Softmax": _same_shape("normalised along the last axis"),
    "Rescaling": _same_shape("element-wise x·scale + offset"),
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Normalization": _normalization,
    "ZeroPadding1D": _zero_padding,
    "ZeroPadding2D": _zero_padding,
    "ZeroPadding3D": _zero_padding,
    "Cropping1D": _cropping,
    "Cropping2D": _cropping,
    "Cropping3D": _cropping,
    "UpSampling1D": _upsampling,
    "UpSampling2D": _upsampling,
    "UpSampling3D": _upsampling,
}

_SPATIAL = {
    k
    for k in _SINGLE
    if k.startswith(("Conv", "Depthwise", "Separable", "MaxP", "AverageP", "Zero", "Crop", "UpS"))
}


def _explain_merge(layer, shapes: list[Shape]) -> _Explanation:
    kind = type(layer).__name__
    if kind == "Concatenate":
        axis = layer.axis
        ax = axis - 1 if axis > 0 else len(shapes[0]) + axis
        sizes = [s[ax] for s in shapes]
        total = None if any(v is None for v in sizes) else sum(sizes)
        out = list(shapes[0])
        out[ax] = total
        what = "channels" if ax == len(shapes[0]) - 1 else f"axis {axis}"
        return _Explanation(
            output_shape=tuple(out),
            formula=f"{' + '.join(str(v) for v in sizes)} = {total} {what}",
            params=0,
            params_formula="0 (no weights)",
        )
    verb = {
        "Add": "sum",
        "Subtract": "difference",
        "Multiply": "product",
        "Average": "mean",
        "Maximum": "maximum",
        "Minimum": "minimum",
    }[kind]
    if any(s != shapes[0] for s in shapes):
        return _Explanation(params=0, params_formula="0 (no weights)")  # broadcasting: Keras
    return _Explanation(
        output_shape=tuple(shapes[0]),
        formula=f"element-wise {verb} of {len(shapes)} tensors of the same shape",
        params=0,
        params_formula="0 (no weights)",
    )


_MERGE = {"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}


def _explain(layer, in_shapes: list[Shape]) -> _Explanation:
    import keras

    kind = type(layer).__name__
    if not isinstance(layer, keras.layers.Layer):  # an op such as x * 2 in a Functional model
        return _Explanation(rf="unknown", params=0, params_formula="0 (an operation)")
    if kind in _MERGE and len(in_shapes) > 1:
        return _explain_merge(layer, in_shapes)
    if len(in_shapes) != 1 or kind not in _SINGLE:
        return _Explanation(rf="unknown")
    if kind in _SPATIAL and not _channels_last(layer):
        return _Explanation(rf="unknown", note="channels_first: shape from Keras")
    shape = in_shapes[0]
    if kind in _SPATIAL or kind.startswith("Global"):
        wanted = {"1D": 2, "2D": 3, "3D": 4}.get(kind[-2:])
        if wanted is not None and len(shape) != wanted:
            raise _Refused(
                f"{kind} expects inputs of shape {_RANK_EXAMPLE[wanted]} (plus the batch), but "
                f"it got {format_shape(shape)} ({len(shape)} axes). "
                + (
                    "Flatten or Dense before it removed the image layout: move them to the end, "
                    "or use Reshape to restore it."
                    if len(shape) < wanted
                    else "Check the layer's dimensionality (1D, 2D or 3D) against the data."
                )
            )
    return _SINGLE[kind](layer, shape)


_RANK_EXAMPLE = {2: "(steps, channels)", 3: "(height, width, channels)", 4: "(depth, h, w, c)"}


# --------------------------------------------------------------------------------------------
# Walking a model
# --------------------------------------------------------------------------------------------


def _strip(shape) -> tuple:
    return tuple(None if d is None else int(d) for d in tuple(shape)[1:])


def _dtype_bytes(tensor) -> int:
    try:
        import numpy as np

        return np.dtype(str(tensor.dtype)).itemsize
    except Exception:  # noqa: BLE001 - unusual dtypes: assume float32
        return 4


def _propagate_rf(exp_rf, rfs: tuple | None) -> tuple | None:
    if rfs is None or exp_rf in ("lost", "unknown"):
        return None
    if exp_rf == "keep":
        return rfs
    new = []
    for rf, (k, s, d, pad) in zip(rfs, exp_rf, strict=False):
        k_eff = d * (k - 1) + 1
        new.append(
            ReceptiveField(
                size=rf.size + (k_eff - 1) * rf.jump,
                jump=rf.jump * s,
                start=rf.start + ((k_eff - 1) / 2 - pad) * rf.jump,
            )
        )
    return tuple(new) if len(new) == len(rfs) else None


def _merge_rfs(rfs_list: list) -> tuple | None:
    if any(r is None for r in rfs_list) or not rfs_list:
        return None
    first = rfs_list[0]
    if any(len(r) != len(first) for r in rfs_list):
        return None
    merged = []
    for axis in zip(*rfs_list, strict=True):
        if len({rf.jump for rf in axis}) != 1:
            return None
        lo = min(rf.start - (rf.size - 1) / 2 for rf in axis)
        hi = max(rf.start + (rf.size - 1) / 2 for rf in axis)
        merged.append(ReceptiveField(size=int(hi - lo + 1), jump=axis[0].jump, start=(lo + hi) / 2))
    return tuple(merged)


class _Walker:
    """Builds rows; shared by the Sequential walk and the graph walk."""

    def __init__(self, expand_nested: bool) -> None:
        self.expand_nested = expand_nested
        self.rows: list[ShapeRow] = []
        self.counted: dict[int, str] = {}
        self.notes: list[str] = []

    def add_row(
        self, layer, name: str, in_shapes: list[Shape], out_shape: Shape, in_rfs, bytes_each: int
    ):
        """Explain one layer call whose true output shape (Keras') is ``out_shape``."""
        try:
            exp = _explain(layer, in_shapes)
        except _Refused:
            exp = _Explanation(rf="unknown")  # Keras accepted what our rule refuses: trust Keras
        formula = exp.formula
        if exp.output_shape is not None and tuple(exp.output_shape) != tuple(out_shape):
            formula = f"{NO_FORMULA}; our formula gave {format_shape(exp.output_shape)}"
        keras_params = layer.count_params() if getattr(layer, "built", False) else 0
        if id(layer) in self.counted:
            params, params_formula = 0, f"shared with {self.counted[id(layer)]}"
        elif exp.params is not None and exp.params == keras_params:
            params, params_formula = exp.params, exp.params_formula
        elif keras_params == 0 and not getattr(layer, "weights", None):
            params, params_formula = 0, "0 (no weights)"
        else:
            params, params_formula = keras_params, f"{keras_params:,} (counted by Keras)"
        self.counted.setdefault(id(layer), name)
        if exp.note:
            self.notes.append(f"{name}: {exp.note}")
        rfs = _merge_rfs(in_rfs) if len(in_rfs) > 1 else _propagate_rf(exp.rf, in_rfs[0])
        if rfs is not None and len(rfs) != max(len(out_shape) - 1, 0):
            rfs = None
        known = all(d is not None for d in out_shape)
        self.rows.append(
            ShapeRow(
                name=name,
                layer_type=type(layer).__name__,
                input_shape=in_shapes[0] if len(in_shapes) == 1 else tuple(in_shapes),
                output_shape=tuple(out_shape),
                formula=formula,
                params=int(params),
                params_formula=params_formula,
                macs=None if exp.macs is None else int(exp.macs),
                receptive_field=rfs[0] if rfs else None,
                activation_bytes=math.prod(out_shape) * bytes_each if known else None,
                note=exp.note,
                receptive_fields=rfs or (),
            )
        )
        return rfs


def _initial_rfs(shape: Shape):
    return tuple(ReceptiveField() for _ in shape[:-1]) if len(shape) >= 2 else None


def _is_model(layer) -> bool:
    import keras

    return isinstance(layer, keras.Model)


def _graph(model):
    """The Functional graph of a built model (a built Sequential keeps one inside)."""
    import keras

    if isinstance(model, keras.Sequential):
        return getattr(model, "_functional", None)
    if hasattr(model, "_nodes_by_depth"):
        return model
    return None


def _walk_graph(walker: _Walker, graph, prefix: str, tensor_rfs: dict, show_inputs: bool):
    """Rows for every layer call of a built Functional graph, in topological order."""
    from keras.layers import InputLayer

    nodes = []
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        nodes.extend(graph._nodes_by_depth[depth])
    order = {id(op): i for i, op in enumerate(graph.operations)}
    nodes.sort(key=lambda n: order.get(id(n.operation), len(order)))
    calls: dict[int, int] = {}
    for node in nodes:
        op = node.operation
        if isinstance(op, InputLayer) or node.is_input:
            t = node.outputs[0]
            shape = _strip(t.shape)
            tensor_rfs.setdefault(id(t), _initial_rfs(shape))
            if show_inputs:
                walker.rows.append(
                    ShapeRow(
                        name=prefix + op.name,
                        layer_type="InputLayer",
                        input_shape=shape,
                        output_shape=shape,
                        formula="the input",
                        params=0,
                        params_formula="0 (no weights)",
                        receptive_field=None,
                        activation_bytes=(
                            math.prod(shape) * _dtype_bytes(t)
                            if all(d is not None for d in shape)
                            else None
                        ),
                        receptive_fields=tensor_rfs[id(t)] or (),
                    )
                )
            continue
        calls[id(op)] = calls.get(id(op), 0) + 1
        name = prefix + op.name + (f" (call {calls[id(op)]})" if calls[id(op)] > 1 else "")
        in_tensors = list(node.input_tensors)
        in_shapes = [_strip(t.shape) for t in in_tensors]
        in_rfs = [tensor_rfs.get(id(t)) for t in in_tensors]
        if _is_model(op) and walker.expand_nested and _graph(op) is not None:
            inner = _graph(op)
            inner_rfs = {id(t): rf for t, rf in zip(inner.inputs, in_rfs, strict=False)}
            _walk_graph(walker, inner, name + "/", inner_rfs, show_inputs=False)
            outs = list(node.outputs)
            for t, inner_t in zip(outs, inner.outputs, strict=False):
                tensor_rfs[id(t)] = inner_rfs.get(id(inner_t))
            continue
        out_shape = _strip(node.outputs[0].shape)
        rfs = walker.add_row(op, name, in_shapes, out_shape, in_rfs, _dtype_bytes(node.outputs[0]))
        if _is_model(op):
            changes = {"formula": f"nested model ({len(op.layers)} layers)"}
            inner = _graph(op)
            if inner is not None:  # collapsed: the nested layers' sums, and its receptive field
                sub = _Walker(expand_nested=True)
                inner_rfs = {id(t): rf for t, rf in zip(inner.inputs, in_rfs, strict=False)}
                _walk_graph(sub, inner, "", inner_rfs, show_inputs=False)
                known = [r.macs for r in sub.rows]
                changes["macs"] = None if None in known else sum(known)
                changes["params_formula"] = (
                    " + ".join(f"{r.params:,}" for r in sub.rows if r.params)
                    + f" = {walker.rows[-1].params:,} (its layers)"
                )
                rfs = inner_rfs.get(id(inner.outputs[0]))
                changes["receptive_fields"] = rfs or ()
                changes["receptive_field"] = rfs[0] if rfs else None
            walker.rows[-1] = _replace(walker.rows[-1], **changes)
        for t in node.outputs:
            tensor_rfs[id(t)] = rfs


def _replace(row: ShapeRow, **changes) -> ShapeRow:
    from dataclasses import replace

    return replace(row, **changes)


def _keras_message(exc: BaseException) -> str:
    """The useful sentence of a Keras error, without the call-arguments dump or a traceback."""
    text = str(exc).strip()
    for marker in ("\n\nArguments received", "Arguments received by"):
        text = text.split(marker)[0]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("Exception encountered", "File "))]
    text = " ".join(lines) or type(exc).__name__
    return text if len(text) < 400 else text[:397] + "..."


def _hint_for(
    layer,
    in_shape: Shape,
    exc: BaseException | None,
    refused: str | None,
    first: bool = False,
) -> str:
    kind = type(layer).__name__
    wanted = _axes_per_example(layer)
    have = len(in_shape)
    if first and wanted == have + 1:
        return (
            f"{kind} expects {wanted} axes per example but input_shape {in_shape} has {have}: "
            f"add the channel axis, e.g. {(*in_shape, 1)} for a grey image "
            "(and x[..., None] for the data)."
        )
    if first and wanted == have - 1 and in_shape[0] in (None, 1):
        return (
            f"input_shape {in_shape} seems to include the batch dimension; give the shape of "
            f"one example, {tuple(in_shape[1:])}."
        )
    if refused:
        return refused
    msg = _keras_message(exc) if exc else ""
    built_for = re.search(r"expected axis -1 of input shape to have value (\d+)", msg)
    if built_for:
        return (
            f"{layer.name} was already built for inputs whose last axis is {built_for.group(1)}, "
            f"but here it receives {format_shape(in_shape)}. A built model keeps its weight "
            "shapes: build a new model for this input shape."
        )
    if "ndim" in msg or "rank" in msg:
        return (
            f"{kind} cannot take an input of shape {format_shape(in_shape)}: the number of axes "
            f"is wrong ({msg}). A Flatten or Dense before it removes the image layout; a missing "
            f"channel axis needs Reshape((h, w, 1))."
        )
    if "Dense" in kind and in_shape and in_shape[-1] is None:
        return _dense_unknown_hint(in_shape)
    return f"Keras refused {kind} on an input of shape {format_shape(in_shape)}: {msg}"


def _axes_per_example(layer) -> int | None:
    """How many axes one example must have for a convolution or pooling layer (else None)."""
    rank = getattr(layer, "rank", None)  # Conv1D/2D/3D and their transposes
    if rank is None and isinstance(getattr(layer, "pool_size", None), tuple):
        rank = len(layer.pool_size)
    return rank + 1 if isinstance(rank, int) else None


def _trial_copy(layer):
    """An unbuilt copy of ``layer``, so that a trial walk never builds the reader's own layers."""
    try:
        return type(layer).from_config(layer.get_config())
    except Exception:  # noqa: BLE001 - a layer without a usable config is walked as it is
        return layer


def _dense_unknown_hint(shape) -> str:
    return (
        "Dense needs to know the size of the last axis of its input, but it is unknown (input "
        f"{format_shape(shape)}). Give keras.Input a fixed image size, or use "
        "GlobalAveragePooling2D / GlobalMaxPooling2D instead of Flatten."
    )


def _walk_sequential(walker: _Walker, model, input_shape: Shape):
    """Call each layer of a Sequential on a symbolic input; stop at the first refusal.

    An unbuilt model is walked on unbuilt copies of its layers, so that a walk that fails leaves
    the reader's model as it was; a built one on its own layers, whose weights fix their shapes.
    """
    import keras

    shape = input_shape
    rfs = _initial_rfs(shape)
    for original in model.layers:
        layer = original if model.built else _trial_copy(original)
        refused = None
        try:
            _explain(layer, [shape])
        except _Refused as e:
            refused = str(e)
        try:
            out = layer(keras.KerasTensor((None, *shape)))
        except Exception as exc:  # noqa: BLE001 - any Keras refusal becomes a hint
            return original, shape, exc, refused
        if refused is not None:  # Keras accepted it after all: keep going with Keras' shape
            refused = None
        out_t = keras.tree.flatten(out)[0]
        out_shape = _strip(out_t.shape)
        rfs = walker.add_row(layer, layer.name, [shape], out_shape, [rfs], _dtype_bytes(out_t))
        shape = out_shape
    return None


def _check_input_shape(input_shape) -> Shape | None:
    import numbers

    if input_shape is None:
        return None
    if isinstance(input_shape, numbers.Integral) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    if not isinstance(input_shape, tuple | list) or not all(
        d is None or (isinstance(d, numbers.Integral) and not isinstance(d, bool))
        for d in input_shape
    ):
        raise TypeError(
            "input_shape must be a tuple of ints without the batch dimension, such as "
            f"(250, 250, 3); got {input_shape!r}."
        )
    if len(input_shape) == 0:
        raise ValueError("input_shape must have at least one axis, e.g. (28, 28, 1); got ().")
    if any(d is not None and d <= 0 for d in input_shape):
        raise ValueError(
            f"input_shape must have positive sizes (or None for unknown), got {input_shape!r}."
        )
    return tuple(None if d is None else int(d) for d in input_shape)


def shape_table(
    model: keras.Model,
    input_shape: tuple[int | None, ...] | None = None,
    *,
    expand_nested: bool = True,
) -> ShapeTable:
    """Explain a Keras model's shapes layer by layer, with the formulas filled in.

    Args:
        model: a ``keras.Sequential`` or Functional ``keras.Model``. A Sequential that does not
            start with ``keras.Input`` is built here from ``input_shape``.
        input_shape: the shape of one example, without the batch dimension, e.g.
            ``(250, 250, 3)``. Needed only for a Sequential without ``keras.Input``.
        expand_nested: show the layers inside a nested model (named ``outer/inner``) rather
            than one row for the whole nested model.

    Returns:
        A :class:`ShapeTable`; display it in a notebook or ``print`` it, and read its ``rows``.
        When a layer cannot take its input, ``table.ok`` is ``False``, the rows stop before
        that layer, and ``table.error`` and ``table.hint`` say why and what to do.

    Raises:
        TypeError: ``model`` is not a Keras model, or ``input_shape`` is not a tuple of ints.
        ValueError: the model has no input shape and none was given, or ``input_shape``
            contradicts the model's ``keras.Input``.

    Example:
        >>> import keras
        >>> from keras import layers
        >>> model = keras.Sequential([keras.Input((250, 250, 3)),
        ...                           layers.Conv2D(32, 5, strides=2)])
        >>> table = shape_table(model)
        >>> table["conv2d"].output_shape, table["conv2d"].formula  # doctest: +SKIP
        ((123, 123, 32), '⌊(250 − 5) / 2⌋ + 1 = 123')
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            "shape_table expects a Keras model (keras.Sequential or keras.Model), got "
            f"{type(model).__name__}. For a single layer, wrap it: "
            "keras.Sequential([keras.Input(shape), layer])."
        )
    if not isinstance(expand_nested, bool):
        raise TypeError(f"expand_nested must be True or False, got {expand_nested!r}.")
    input_shape = _check_input_shape(input_shape)
    is_sequential = isinstance(model, keras.Sequential)
    walker = _Walker(expand_nested)
    graph = _graph(model) if model.built else None

    if graph is not None and len(graph.inputs) == 1:
        model_input = _strip(graph.inputs[0].shape)
    elif graph is not None:
        model_input = tuple(_strip(t.shape) for t in graph.inputs)
    else:
        model_input = None

    if graph is not None and (input_shape is None or input_shape == model_input):
        _walk_graph(walker, graph, "", {}, show_inputs=not is_sequential)
        return _finish(model, walker, model_input)

    if graph is not None and not is_sequential:
        raise ValueError(
            f"Model {model.name!r} was built for inputs of shape {model_input}, but "
            f"input_shape={input_shape} was passed. Leave input_shape out, or build a new model "
            f"with keras.Input({input_shape})."
        )
    if not is_sequential and not hasattr(model, "_operations_by_depth"):
        raise ValueError(
            f"Model {model.name!r} is a subclassed keras.Model ({type(model).__name__}): its "
            "call() is Python code, so its layer-by-layer shapes cannot be read. Write it as a "
            "Functional model (keras.Input, then layers called in turn) to explain its shapes."
        )
    if not is_sequential:
        raise ValueError(
            f"Model {model.name!r} has no input shape yet. Build it with keras.Input(...) "
            "(Functional models always start with one)."
        )
    if input_shape is None:
        raise ValueError(
            f"Sequential model {model.name!r} does not know its input shape yet: it does not "
            "start with keras.Input and has not been built. Pass the shape of one example, "
            "e.g. shape_table(model, input_shape=(250, 250, 3)), or add keras.Input(shape) "
            "as its first layer."
        )
    if not model.layers:
        raise ValueError(f"Sequential model {model.name!r} has no layers; add some first.")
    # A built model asked about another shape is explained without rebuilding it.
    failure = _walk_sequential(walker, model, input_shape)
    if failure is None and graph is None:
        model.build((None, *input_shape))  # so that count_params() and summary() work
        walker = _Walker(expand_nested)
        _walk_graph(walker, _graph(model), "", {}, show_inputs=False)
        return _finish(model, walker, input_shape)
    if failure is None:
        return _finish(model, walker, input_shape, check_total=False)
    layer, shape, exc, refused = failure
    error = (
        f"layer {layer.name!r} ({type(layer).__name__}) cannot take an input of shape "
        f"{format_shape(shape)}."
    )
    return ShapeTable(
        model.name,
        walker.rows,
        input_shape,
        ok=False,
        error=error,
        hint=_hint_for(layer, shape, exc, refused, first=layer is model.layers[0]),
    )


def _finish(model, walker: _Walker, input_shape, check_total: bool = True) -> ShapeTable:
    total = sum(r.params for r in walker.rows)
    if check_total and model.built:
        keras_total = model.count_params()
        if keras_total != total:  # pragma: no cover - would be a bug in the walk
            walker.notes.append(
                f"the rows add up to {total:,} parameters but Keras counts {keras_total:,}"
            )
            total = keras_total
    hint = " ".join(walker.notes) if walker.notes else None
    return ShapeTable(model.name, walker.rows, input_shape, total_params=total, hint=hint)
