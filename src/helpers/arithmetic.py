"""Shape arithmetic of convolutional networks, as pure functions of integers.

Every rule here is Keras' own rule (``keras.src.ops.operation_utils`` and the TensorFlow
backend), written out so that a reader can follow it with pen and paper. Nothing here imports
TensorFlow or Keras, so these functions are instant and testable anywhere.

Each function returns an :class:`Explained` value: an ``int`` that also carries the formula that
produced it, with the numbers filled in.

Example:
    >>> from helpers.arithmetic import conv_output_length
    >>> n = conv_output_length(250, 5, stride=2)
    >>> n
    123
    >>> n.formula
    '⌊(250 − 5) / 2⌋ + 1 = 123'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "PADDINGS",
    "Explained",
    "PaddingSplit",
    "ReceptiveField",
    "batch_norm_params",
    "conv_macs",
    "conv_output_length",
    "conv_params",
    "conv_transpose_output_length",
    "dense_macs",
    "dense_params",
    "depthwise_conv_params",
    "effective_kernel_size",
    "pool_output_length",
    "receptive_field",
    "same_padding",
    "separable_conv_params",
]

#: The padding modes of Keras' convolution layers ("causal" exists for Conv1D only).
PADDINGS = ("valid", "same", "causal")


class Explained(int):
    """An ``int`` that remembers how it was computed.

    It behaves exactly like the integer (``==``, arithmetic, formatting); ``.formula`` holds the
    human formula with the numbers filled in.

    Example:
        >>> x = Explained(123, "⌊(250 − 5) / 2⌋ + 1 = 123")
        >>> x + 1, x.formula
        (124, '⌊(250 − 5) / 2⌋ + 1 = 123')
    """

    formula: str

    def __new__(cls, value: int, formula: str) -> Explained:
        obj = super().__new__(cls, value)
        obj.formula = formula
        return obj

    def __repr__(self) -> str:
        return int.__repr__(self)

    def __reduce__(self):
        return (Explained, (int(self), self.formula))


def _fmt(n: int) -> str:
    """Thousands separated by commas, the way the book prints counts."""
    return f"{n:,}"


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | _np_integer()):
        raise TypeError(
            f"{name} must be an integer, got {value!r} of type {type(value).__name__}. "
            f"Pass a whole number such as {max(minimum, 3)}."
        )
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return value


def _np_integer():
    try:  # numpy is a dependency of the package, but keep this module importable without it
        import numpy as np

        return np.integer
    except ImportError:  # pragma: no cover
        return int


def _check_padding(padding, allowed=("valid", "same")) -> str:
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(
            f"padding must be one of {', '.join(repr(p) for p in allowed)}, got {padding!r}."
        )
    return padding.lower()


def _as_tuple(name: str, value, rank: int | None = None) -> tuple[int, ...]:
    if isinstance(value, int | _np_integer()) and not isinstance(value, bool):
        value = (int(value),) * (rank or 2)
    if not isinstance(value, tuple | list) or not value:
        raise TypeError(f"{name} must be an int or a tuple of ints such as (3, 3), got {value!r}.")
    return tuple(_check_int(name, v) for v in value)


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> Explained:
    """The span of a dilated kernel: ``d·(k − 1) + 1``.

    Example:
        >>> effective_kernel_size(3, 2), effective_kernel_size(3, 2).formula
        (5, '2·(3 − 1) + 1 = 5')
    """
    k = _check_int("kernel_size", kernel_size)
    d = _check_int("dilation", dilation)
    value = d * (k - 1) + 1
    if d == 1:
        return Explained(value, f"{k} = {k}")
    return Explained(value, f"{d}·({k} − 1) + 1 = {value}")


def conv_output_length(
    length: int, kernel_size: int, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> Explained:
    """Output length of a convolution along one axis, by Keras' rule.

    * ``"valid"`` (no padding): ``⌊(n − k_eff) / s⌋ + 1`` with ``k_eff = d·(k − 1) + 1``.
    * ``"same"`` and ``"causal"`` (zero padding): ``⌈n / s⌉``.

    Args:
        length: input length ``n`` (height, width or time steps).
        kernel_size: kernel length ``k``.
        stride: step ``s`` between two kernel positions.
        padding: ``"valid"``, ``"same"`` or ``"causal"``.
        dilation: spacing ``d`` between the kernel's taps.

    Raises:
        ValueError: the kernel does not fit in a ``"valid"`` input (Keras refuses that too).

    Example:
        >>> conv_output_length(250, 5, stride=2).formula
        '⌊(250 − 5) / 2⌋ + 1 = 123'
        >>> conv_output_length(7, 3, padding="same").formula
        '⌈7 / 1⌉ = 7'
    """
    n = _check_int("length", length)
    k = _check_int("kernel_size", kernel_size)
    s = _check_int("stride", stride)
    d = _check_int("dilation", dilation)
    padding = _check_padding(padding, PADDINGS)
    if padding in ("same", "causal"):
        out = (n - 1) // s + 1
        return Explained(out, f"⌈{n} / {s}⌉ = {out}")
    k_eff = d * (k - 1) + 1
    if k_eff > n:
        span = f"{k}" if d == 1 else f"{d}·({k} − 1) + 1 = {k_eff}"
        raise ValueError(
            f"A kernel spanning {span} pixels does not fit in an input of length {n} with "
            f"padding='valid': the output would be empty. Use padding='same', a smaller kernel "
            f"or dilation, or a larger input."
        )
    out = (n - k_eff) // s + 1
    k_text = f"{k}" if d == 1 else f"({d}·({k} − 1) + 1)"
    if s == 1:
        return Explained(out, f"{n} − {k_text} + 1 = {out}")
    return Explained(out, f"⌊({n} − {k_text}) / {s}⌋ + 1 = {out}")


def pool_output_length(
    length: int, pool_size: int, stride: int | None = None, padding: str = "valid"
) -> Explained:
    """Output length of max or average pooling along one axis, by Keras' rule.

    The stride defaults to the pool size (non-overlapping windows).
    ``"valid"``: ``⌊(n − p) / s⌋ + 1``; ``"same"``: ``⌈n / s⌉``.

    Example:
        >>> pool_output_length(122, 3).formula
        '⌊(122 − 3) / 3⌋ + 1 = 40'
    """
    n = _check_int("length", length)
    p = _check_int("pool_size", pool_size)
    s = p if stride is None else _check_int("stride", stride)
    padding = _check_padding(padding)
    if padding == "same":
        out = (n - 1) // s + 1
        return Explained(out, f"⌈{n} / {s}⌉ = {out}")
    if p > n:
        raise ValueError(
            f"A pooling window of {p} does not fit in an input of length {n} with "
            f"padding='valid'. Use padding='same', a smaller pool_size, or fewer layers "
            f"that shrink the input before this one."
        )
    out = (n - p) // s + 1
    if s == 1:
        return Explained(out, f"{n} − {p} + 1 = {out}")
    return Explained(out, f"⌊({n} − {p}) / {s}⌋ + 1 = {out}")


def conv_transpose_output_length(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> Explained:
    """Output length of a transposed convolution (``Conv2DTranspose``) along one axis.

    Keras' rule, with ``k_eff = d·(k − 1) + 1``:

    * ``"valid"``: ``(n − 1)·s + max(k_eff, s)`` (or ``(n − 1)·s + k_eff + output_padding``);
    * ``"same"``: ``n·s`` (or ``(n − 1)·s + k_eff mod 2 + output_padding``).

    Example:
        >>> conv_transpose_output_length(20, 3, stride=2, padding="same").formula
        '20·2 = 40'
        >>> conv_transpose_output_length(20, 3, stride=2).formula
        '(20 − 1)·2 + max(3, 2) = 41'
    """
    n = _check_int("length", length)
    k = _check_int("kernel_size", kernel_size)
    s = _check_int("stride", stride)
    d = _check_int("dilation", dilation)
    padding = _check_padding(padding)
    op = None if output_padding is None else _check_int("output_padding", output_padding, 0)
    if op is not None and op >= s:
        raise ValueError(
            f"output_padding must be smaller than the stride, got output_padding={op} with "
            f"stride={s}. Use output_padding between 0 and {s - 1}, or None."
        )
    k_eff = d * (k - 1) + 1
    k_text = f"{k_eff}"
    if padding == "valid":
        if op is None:
            out = (n - 1) * s + max(k_eff, s)
            return Explained(out, f"({n} − 1)·{s} + max({k_text}, {s}) = {out}")
        out = (n - 1) * s + k_eff + op
        return Explained(out, f"({n} − 1)·{s} + {k_text} + {op} = {out}")
    if op is None:
        out = n * s
        return Explained(out, f"{n}·{s} = {out}")
    out = (n - 1) * s + k_eff % 2 + op
    return Explained(out, f"({n} − 1)·{s} + ({k_text} mod 2) + {op} = {out}")


class PaddingSplit(tuple):
    """``(before, after)``: the zeros that ``padding="same"`` adds on each side.

    Unpacks like a pair; also has ``.before``, ``.after``, ``.total`` and ``.formula``.
    """

    formula: str

    def __new__(cls, before: int, after: int, formula: str) -> PaddingSplit:
        obj = super().__new__(cls, (before, after))
        obj.formula = formula
        return obj

    @property
    def before(self) -> int:
        """Zeros added at the start (top or left)."""
        return self[0]

    @property
    def after(self) -> int:
        """Zeros added at the end (bottom or right); gets the extra one when the total is odd."""
        return self[1]

    @property
    def total(self) -> int:
        """All zeros added along this axis."""
        return self[0] + self[1]

    def __reduce__(self):
        return (PaddingSplit, (self[0], self[1], self.formula))


def same_padding(length: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> PaddingSplit:
    """How ``padding="same"`` splits its zeros between the two ends of an axis.

    TensorFlow pads ``total = max((⌈n / s⌉ − 1)·s + k_eff − n, 0)`` zeros, ``⌊total / 2⌋`` at
    the start and the rest at the end: when the total is odd, the extra zero goes to the end
    (bottom or right).

    Example:
        >>> before, after = same_padding(5, 4)
        >>> before, after
        (1, 2)
        >>> same_padding(5, 4).formula
        'total = max((⌈5 / 1⌉ − 1)·1 + 4 − 5, 0) = 3 → 1 before, 2 after'
    """
    n = _check_int("length", length)
    k = _check_int("kernel_size", kernel_size)
    s = _check_int("stride", stride)
    d = _check_int("dilation", dilation)
    k_eff = d * (k - 1) + 1
    out = (n - 1) // s + 1
    total = max((out - 1) * s + k_eff - n, 0)
    before = total // 2
    after = total - before
    formula = (
        f"total = max((⌈{n} / {s}⌉ − 1)·{s} + {k_eff} − {n}, 0) = {total} "
        f"→ {before} before, {after} after"
    )
    return PaddingSplit(before, after, formula)


@dataclass(frozen=True)
class ReceptiveField:
    """The input region one output unit sees, along one axis.

    Attributes:
        size: how many input pixels influence one output unit.
        jump: distance in input pixels between two neighbouring output units (product of strides).
        start: centre of the first output unit's field, in input pixel indices
            (0.0 is the centre of the first pixel; padding can make it negative).
    """

    size: int = 1
    jump: int = 1
    start: float = 0.0

    def then(
        self, kernel_size: int, stride: int = 1, dilation: int = 1, pad_before: int = 0
    ) -> ReceptiveField:
        """The receptive field after one more convolution or pooling layer.

        ``size' = size + (k_eff − 1)·jump``, ``jump' = jump·s``,
        ``start' = start + ((k_eff − 1)/2 − pad_before)·jump``.

        Example:
            >>> ReceptiveField().then(3).then(3)
            ReceptiveField(size=5, jump=1, start=2.0)
        """
        k = _check_int("kernel_size", kernel_size)
        s = _check_int("stride", stride)
        d = _check_int("dilation", dilation)
        p = _check_int("pad_before", pad_before, 0)
        k_eff = d * (k - 1) + 1
        return ReceptiveField(
            size=self.size + (k_eff - 1) * self.jump,
            jump=self.jump * s,
            start=self.start + ((k_eff - 1) / 2 - p) * self.jump,
        )

    @property
    def formula(self) -> str:
        """A one-line description, e.g. ``'5 px, jump 1, first centre at 2.0'``."""
        return f"{self.size} px, jump {self.jump}, first centre at {self.start:g}"

    def __str__(self) -> str:
        return f"{self.size}×{self.size}" if self.size else "-"


def receptive_field(
    kernel_sizes: Sequence[int],
    strides: Sequence[int] | None = None,
    dilations: Sequence[int] | None = None,
    pads_before: Sequence[int] | None = None,
) -> ReceptiveField:
    """Receptive field of a stack of convolution or pooling layers along one axis.

    Args:
        kernel_sizes: kernel (or pool) size of each layer, first layer first.
        strides: stride of each layer (default all 1; a pooling layer's stride is its size).
        dilations: dilation of each layer (default all 1).
        pads_before: zeros added before the input of each layer (default all 0, i.e. "valid";
            use :func:`same_padding` for "same").

    Example:
        >>> receptive_field([5, 3, 3], strides=[2, 1, 3])
        ReceptiveField(size=13, jump=6, start=6.0)
    """
    if isinstance(kernel_sizes, int | str) or not isinstance(kernel_sizes, Sequence):
        raise TypeError(
            f"kernel_sizes must be a list of ints, one per layer, such as [5, 3, 3]; "
            f"got {kernel_sizes!r}."
        )
    n = len(kernel_sizes)

    def per_layer(name, values, default):
        if values is None:
            return [default] * n
        if isinstance(values, int | str) or len(values) != n:
            raise ValueError(f"{name} must list one value per layer ({n} layers), got {values!r}.")
        return list(values)

    rf = ReceptiveField()
    for k, s, d, p in zip(
        kernel_sizes,
        per_layer("strides", strides, 1),
        per_layer("dilations", dilations, 1),
        per_layer("pads_before", pads_before, 0),
        strict=True,
    ):
        rf = rf.then(k, s, d, p)
    return rf


def _product_text(values: Sequence[int]) -> str:
    return "·".join(str(v) for v in values)


def conv_params(
    kernel_size: int | Sequence[int], in_channels: int, filters: int, use_bias: bool = True
) -> Explained:
    """Weights of a convolution: ``(k·k·C_in + 1)·filters`` (1-D, 2-D or 3-D kernels).

    Also right for ``Conv2DTranspose``, whose kernel has the same number of weights.

    Example:
        >>> conv_params(5, 3, 32).formula
        '(5·5·3 + 1)·32 = 2,432'
        >>> conv_params((3,), 32, 64)
        6208
    """
    ks = _as_tuple("kernel_size", kernel_size)
    c = _check_int("in_channels", in_channels)
    f = _check_int("filters", filters)
    fan_in = math.prod(ks) * c
    if use_bias:
        value = (fan_in + 1) * f
        return Explained(value, f"({_product_text(ks)}·{c} + 1)·{f} = {_fmt(value)}")
    value = fan_in * f
    return Explained(value, f"{_product_text(ks)}·{c}·{f} = {_fmt(value)}")


def dense_params(in_features: int, units: int, use_bias: bool = True) -> Explained:
    """Weights of a ``Dense`` layer: ``(inputs + 1)·units``.

    Example:
        >>> dense_params(32, 10).formula
        '(32 + 1)·10 = 330'
    """
    n = _check_int("in_features", in_features)
    u = _check_int("units", units)
    if use_bias:
        value = (n + 1) * u
        return Explained(value, f"({_fmt(n)} + 1)·{_fmt(u)} = {_fmt(value)}")
    value = n * u
    return Explained(value, f"{_fmt(n)}·{_fmt(u)} = {_fmt(value)}")


def depthwise_conv_params(
    kernel_size: int | Sequence[int],
    in_channels: int,
    depth_multiplier: int = 1,
    use_bias: bool = True,
) -> Explained:
    """Weights of a ``DepthwiseConv2D``: one ``k×k`` kernel per input channel (and multiplier).

    Example:
        >>> depthwise_conv_params(3, 32).formula
        '(3·3 + 1)·32 = 320'
    """
    ks = _as_tuple("kernel_size", kernel_size)
    c = _check_int("in_channels", in_channels)
    m = _check_int("depth_multiplier", depth_multiplier)
    channels = f"{c}" if m == 1 else f"({c}·{m})"
    if use_bias:
        value = (math.prod(ks) + 1) * c * m
        return Explained(value, f"({_product_text(ks)} + 1)·{channels} = {_fmt(value)}")
    value = math.prod(ks) * c * m
    return Explained(value, f"{_product_text(ks)}·{channels} = {_fmt(value)}")


def separable_conv_params(
    kernel_size: int | Sequence[int],
    in_channels: int,
    filters: int,
    depth_multiplier: int = 1,
    use_bias: bool = True,
) -> Explained:
    """Weights of a ``SeparableConv2D``: depthwise ``k·k·C_in·m`` + pointwise ``C_in·m·F`` + bias.

    Example:
        >>> separable_conv_params(3, 32, 64).formula
        '3·3·32 + 32·64 + 64 = 2,400'
    """
    ks = _as_tuple("kernel_size", kernel_size)
    c = _check_int("in_channels", in_channels)
    f = _check_int("filters", filters)
    m = _check_int("depth_multiplier", depth_multiplier)
    cm = f"{c}" if m == 1 else f"{c}·{m}"
    value = math.prod(ks) * c * m + c * m * f + (f if use_bias else 0)
    text = f"{_product_text(ks)}·{cm} + {cm}·{f}" + (f" + {f}" if use_bias else "")
    return Explained(value, f"{text} = {_fmt(value)}")


def batch_norm_params(channels: int, center: bool = True, scale: bool = True) -> Explained:
    """Weights of ``BatchNormalization``: γ and β (trained) plus moving mean and variance (not).

    Example:
        >>> batch_norm_params(32).formula
        '4·32 = 128 (γ, β trained; mean, variance tracked)'
    """
    c = _check_int("channels", channels)
    per = 2 + int(center) + int(scale)
    value = per * c
    trained = ", ".join(n for n, on in (("γ", scale), ("β", center)) if on) or "nothing"
    return Explained(
        value, f"{per}·{c} = {_fmt(value)} ({trained} trained; mean, variance tracked)"
    )


def conv_macs(
    output_spatial: Sequence[int],
    kernel_size: int | Sequence[int],
    in_channels: int,
    filters: int,
) -> Explained:
    """Multiply-adds of a convolution: every output value is a ``k·k·C_in`` dot product.

    Example:
        >>> conv_macs((123, 123), 5, 3, 32).formula
        '123·123·32 outputs × 5·5·3 = 36,309,600'
    """
    if isinstance(output_spatial, int):
        output_spatial = (output_spatial,)
    out = tuple(_check_int("output_spatial", v) for v in output_spatial)
    ks = _as_tuple("kernel_size", kernel_size, len(out))
    c = _check_int("in_channels", in_channels)
    f = _check_int("filters", filters)
    value = math.prod(out) * f * math.prod(ks) * c
    return Explained(
        value, f"{_product_text(out)}·{f} outputs × {_product_text(ks)}·{c} = {_fmt(value)}"
    )


def dense_macs(in_features: int, units: int, positions: int = 1) -> Explained:
    """Multiply-adds of a ``Dense`` layer: ``inputs·units`` at each position.

    ``positions`` is the number of vectors the layer is applied to (``Dense`` acts on the last
    axis, so on an ``h×w×c`` input it runs ``h·w`` times).

    Example:
        >>> dense_macs(32, 10).formula
        '32·10 = 320'
    """
    n = _check_int("in_features", in_features)
    u = _check_int("units", units)
    p = _check_int("positions", positions)
    value = p * n * u
    if p == 1:
        return Explained(value, f"{_fmt(n)}·{_fmt(u)} = {_fmt(value)}")
    return Explained(value, f"{_fmt(p)}·{_fmt(n)}·{_fmt(u)} = {_fmt(value)}")
