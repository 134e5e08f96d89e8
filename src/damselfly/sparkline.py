"""ASCII sparklines, as Redis draws them for LATENCY GRAPH (its sparkline.c).

LATENCY GRAPH must answer Redis's exact text, so this follows Redis's
algorithm step for step, including its integer truncations: a value's
height is ``int(int((value - min) * steps) / span)`` out of ``steps =
3 * rows`` (three characters per row, ``_-``` or ``_o#`` when filled;
a filled column shows ``|`` in the rows below its top). Labels are written
vertically, one character per line, under a blank spacer line. A sequence
longer than ``columns`` is drawn in blocks of ``columns`` samples separated
by an empty line. No logarithmic scale: LATENCY GRAPH never asks for one.
"""
from __future__ import annotations

from typing import Sequence

_CHARSET = "_-`"
_CHARSET_FILL = "_o#"
_LABEL_MARGIN_TOP = 1


def render(samples: Sequence[tuple[float, str]], columns: int, rows: int, fill: bool = True) -> str:
    """The sparkline of ``(value, label)`` samples; an empty label prints nothing under its column."""
    if not samples:
        return ""
    values = [value for value, _ in samples]
    low, high = min(values), max(values)
    labelled = any(label for _, label in samples)
    blocks = [_render_range(samples[start:start + columns], low, high, rows, fill, labelled)
              for start in range(0, len(samples), columns)]
    return "\n".join(blocks)


def _render_range(samples: Sequence[tuple[float, str]], low: float, high: float, rows: int,
                  fill: bool, labelled: bool) -> str:
    """One block of at most ``columns`` samples (Redis's ``sparklineRenderRange``, linear scale)."""
    charset = _CHARSET_FILL if fill else _CHARSET
    width = len(_CHARSET)
    steps = width * rows
    span = (high - low) or 1
    heights = []
    for value, _ in samples:
        step = int(int((value - low) * steps) / span)
        heights.append(min(max(step, 0), steps - 1))
    lines = []
    for row in range(rows):
        chars = []
        for step in heights:
            index = step - (rows - row - 1) * width
            if 0 <= index < width:
                chars.append(charset[index])
            elif fill and index >= width:
                chars.append("|")
            else:
                chars.append(" ")
        lines.append("".join(chars))
    if labelled:
        lines.extend(" " * len(samples) for _ in range(_LABEL_MARGIN_TOP))
        depth = max(len(label) for _, label in samples)
        for position in range(depth):
            lines.append("".join(label[position] if position < len(label) else " " for _, label in samples))
    return "".join(line + "\n" for line in lines)
