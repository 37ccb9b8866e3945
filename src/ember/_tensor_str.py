"""Tensor printing: `repr(tensor)` gives the same text as PyTorch.

The text is built in three steps, the same steps PyTorch takes:

1. Pick a *formatter* for the tensor's numbers. One formatter serves every element,
   so all elements get the same width and the columns line up. For floating point
   tensors the formatter also picks a notation: integer-looking (`1.`), fixed
   (`1.2500`) or scientific (`1.2500e+10`).
2. Lay the elements out as nested brackets. Rows wrap at the line width, and big
   tensors are summarised: only `edgeitems` entries are shown at each end of every
   dimension, with `...` in between.
3. Append the suffixes: `size=`, `dtype=`, `grad_fn=` / `requires_grad=True`,
   each on a new line when it would overflow the line width.

The options (`set_printoptions`, `get_printoptions`, `printoptions`) are global, as in
PyTorch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ember.dtypes import get_default_dtype

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]


# --------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class _PrintOptions:
    """The current print options (one global instance, `PRINT_OPTS`)."""

    precision: int = 4  # digits after the decimal point
    threshold: float = 1000  # more elements than this -> summarise with "..."
    edgeitems: int = 3  # elements shown at each end of a summarised dimension
    linewidth: int = 80  # characters per line before a row wraps
    sci_mode: bool | None = None  # None: choose scientific notation automatically


PRINT_OPTS = _PrintOptions()

# The named profiles set everything except sci_mode.
_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change how tensors print (same arguments and behaviour as torch).

    `profile` ('default', 'short' or 'full') is applied first, then any explicit option
    overrides it; options left as None keep their current value. The exception is
    `sci_mode`: like torch, every call sets it, so leaving it out resets it to None
    (automatic). An unknown profile name is ignored, as torch ignores it.
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options as a dict that `set_printoptions(**d)` accepts."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Use other print options inside a `with` block; the old ones come back after it."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------------------
# Step 1: one formatter for all the numbers of a tensor
# --------------------------------------------------------------------------------------


def _extremes(values: np.ndarray) -> list:
    """The few elements whose printed text is the longest of all, as Python numbers.

    Printed length only grows with the magnitude within each sign for integers and for
    fixed notation (rounding is monotonic, and a minus sign adds one character). In
    scientific notation only the exponent's digit count varies, and it is largest for
    the smallest or the largest magnitudes. Either way the longest text belongs to the
    smallest or largest element of each sign, so measuring those is enough, and is
    much faster than formatting a million elements one by one.
    """
    picks = []
    for part in (values[values > 0], values[values < 0], values[values == 0]):
        if part.size:
            picks += [part.min().item(), part.max().item()]
    return picks


class _Formatter:
    """Decides how every element of one real-valued array is written.

    `values` are the elements that will be shown (already summarised). Complex tensors
    get two formatters, one for the real parts and one for the imaginary parts.
    """

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True  # floats that are all whole numbers print as "3."
        self.sci_mode = False
        self.max_width = 1
        if self.floating:
            self._measure_floats(values.ravel())
        elif values.size:
            # Integers and booleans print as Python prints them: "-3", "True".
            self.max_width = max(len(str(v)) for v in _extremes(values.ravel()))

    def _measure_floats(self, values: np.ndarray) -> None:
        # Zeros, nan and inf say nothing about the scale of the data, so the
        # notation and width come from the finite non-zero elements alone.
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return
        self.int_mode = bool(np.all(shown == np.ceil(shown)))

        magnitudes = np.abs(shown).astype(np.float64)  # float16 would overflow the ratio
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        if PRINT_OPTS.sci_mode is None:
            # Scientific notation when fixed notation would lose the small numbers or
            # spend too many characters on the big ones.
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        for value in _extremes(shown):
            text = self._text(value)
            if self.int_mode and not self.sci_mode:
                text += "."  # the point format() appends to whole-number floats
            self.max_width = max(self.max_width, len(text))

    def _text(self, value: float) -> str:
        """A float in the chosen notation, without padding or the int-mode point."""
        precision = PRINT_OPTS.precision
        if self.sci_mode:
            return f"{value:.{precision}e}"
        if self.int_mode:
            return f"{value:.0f}"
        return f"{value:.{precision}f}"

    def format(self, value: float | int | bool) -> str:
        """One element (a Python number), right-aligned to the common width."""
        if not self.floating:
            text = f"{value}"
        else:
            text = self._text(value)
            if self.int_mode and not self.sci_mode and math.isfinite(value):
                # "1." rather than "1", so the reader sees a float tensor.
                text += "."
        return text.rjust(self.max_width)


def _complex_text(value: complex, real_fmt: _Formatter, imag_fmt: _Formatter) -> str:
    """A complex element as "real+imagj"; the imaginary part is not padded."""
    real = real_fmt.format(value.real)
    imag = (imag_fmt.format(value.imag) + "j").lstrip()
    # A negative (or -0.0) imaginary part brings its own sign.
    if imag[0] in "+-":
        return real + imag
    return real + "+" + imag


# --------------------------------------------------------------------------------------
# Step 2: nested brackets, row wrapping and summarisation
# --------------------------------------------------------------------------------------


def _summarized_data(data: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: `edgeitems` from each end of every axis.

    The formatter measures only these, so hidden elements don't widen the columns.
    """
    edge = PRINT_OPTS.edgeitems
    if data.ndim == 0:
        return data
    if not edge:
        return data.reshape(-1)[:0]  # only "..." is printed
    kept = [
        np.r_[0:edge, n - edge : n] if n > 2 * edge else np.arange(n) for n in data.shape
    ]
    return data[np.ix_(*kept)]


class _Layout:
    """Writes the nested-bracket text of an array with fixed formatters."""

    def __init__(self, summarize: bool, real_fmt: _Formatter, imag_fmt: _Formatter | None):
        self.summarize = summarize
        self.real_fmt = real_fmt
        self.imag_fmt = imag_fmt  # only for complex tensors

    def element(self, value) -> str:
        if self.imag_fmt is None:
            return self.real_fmt.format(value)
        return _complex_text(value, self.real_fmt, self.imag_fmt)

    def element_width(self) -> int:
        """Width of one element plus its ", " separator."""
        width = self.real_fmt.max_width + 2
        if self.imag_fmt is not None:
            width += self.imag_fmt.max_width + 1  # the imaginary part and its "j"
        return width

    def _hides_middle(self, length: int) -> bool:
        return self.summarize and length > 2 * PRINT_OPTS.edgeitems

    def render(self, data: np.ndarray, indent: int) -> str:
        """`data` as text whose continuation lines start `indent` columns in."""
        if data.ndim == 0:
            return self.element(data.item())
        if data.ndim == 1:
            return self._render_row(data, indent)

        edge = PRINT_OPTS.edgeitems
        n = data.shape[0]
        if self._hides_middle(n):
            rows = range(edge), range(n - edge, n)
            parts = [self.render(data[i], indent + 1) for i in rows[0]]
            parts += ["..."]
            parts += [self.render(data[i], indent + 1) for i in rows[1]]
        else:
            parts = [self.render(data[i], indent + 1) for i in range(n)]
        # Sub-arrays are separated by one blank line per extra dimension below them.
        separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
        return "[" + separator.join(parts) + "]"

    def _render_row(self, row: np.ndarray, indent: int) -> str:
        edge = PRINT_OPTS.edgeitems
        if self.summarize and not edge:
            items = ["..."]
        elif self._hides_middle(len(row)):
            items = [self.element(v) for v in row[:edge].tolist()]
            items += [" ..."]  # counts as an element when the row wraps
            items += [self.element(v) for v in row[-edge:].tolist()]
        else:
            items = [self.element(v) for v in row.tolist()]

        per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / self.element_width()))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_body(data: np.ndarray, indent: int) -> str:
    """The bracketed values of a non-empty array."""
    summarize = data.size > PRINT_OPTS.threshold
    shown = _summarized_data(data) if summarize else data
    if np.iscomplexobj(data):
        layout = _Layout(summarize, _Formatter(shown.real), _Formatter(shown.imag))
    else:
        layout = _Layout(summarize, _Formatter(shown), None)
    return layout.render(data, indent)


# --------------------------------------------------------------------------------------
# Step 3: suffixes and the whole repr
# --------------------------------------------------------------------------------------


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ", suffix" items, moving one to a new line when the line would overflow."""
    pieces = [text]
    # Deliberately two more than the length of the last line, as torch counts it, so
    # that wrapping happens at exactly the same place.
    line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_length += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def _dtype_is_implied(dtype_name: str) -> bool:
    """Whether the values alone tell the dtype, so the repr need not name it.

    A number with a point is taken as the default float type (or its complex type),
    a whole number as int64, True/False as bool; every other dtype is printed.
    """
    default = get_default_dtype().name
    default_complex = "complex128" if default == "float64" else "complex64"
    return dtype_name in (default, default_complex, "int64", "bool")


def _grad_fn_name(grad_fn) -> str:
    """'MmBackward0' for a backward node, whichever way the node spells its name."""
    name_method = getattr(grad_fn, "name", None)
    name = name_method() if callable(name_method) else type(grad_fn).__name__
    return name.rsplit("::", 1)[-1]


def _host_array(data) -> np.ndarray:
    """The values as a NumPy array; a GPU (CuPy) array is copied to the host first."""
    if not isinstance(data, (np.ndarray, np.generic)) and callable(getattr(data, "get", None)):
        data = data.get()
    return np.asarray(data)


def tensor_repr(t) -> str:
    """The text of `repr(t)` and `str(t)`, e.g. 'tensor([1., 2.], dtype=ember.float64)'."""
    data = _host_array(t._data)
    prefix = "tensor("
    indent = len(prefix)
    dtype_name = t.dtype.name
    shape = tuple(int(n) for n in data.shape)
    suffixes = []

    # Like torch, name the device only when it is not the CPU (the default device).
    device = getattr(t, "device", None)
    if device is not None and device.type != "cpu":
        suffixes.append(f"device='{device}'")

    if data.size == 0:
        body = "[]"
        # Empty tensors show their shape unless it is (0,), like NumPy, and their dtype
        # unless it is the default: with no values there is nothing to infer it from.
        if data.ndim != 1:
            suffixes.append(f"size={shape}")
        if dtype_name != get_default_dtype().name:
            suffixes.append(f"dtype=ember.{dtype_name}")
    else:
        body = _tensor_body(data, indent)
        if not PRINT_OPTS.edgeitems:
            # With no edge items a summary shows no values, so the shape is all there is.
            suffixes.append(f"size={shape}")
        if not _dtype_is_implied(dtype_name):
            suffixes.append(f"dtype=ember.{dtype_name}")

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(grad_fn)}>")
    elif getattr(t, "requires_grad", False):
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + body, suffixes, indent)
