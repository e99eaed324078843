"""Charts as PNG bytes, drawn with matplotlib's Agg backend.

Rendering takes tens of milliseconds of CPU: callers in the bot run these functions in a
worker thread (asyncio.to_thread), never on the event loop. Labels arrive already
translated and numbers already formatted by the caller.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence

_lock = threading.Lock()  # pyplot keeps global state; one figure at a time


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], ylabel: str = "") -> bytes:
    with _lock:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, 4))
        try:
            ax.bar(range(len(values)), values, color="#2a7ab9")
            ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
            ax.set_title(title)
            ax.set_ylabel(ylabel)
            ax.grid(axis="y", alpha=0.3)
            return _png(fig)
        finally:
            plt.close(fig)


def progress_chart(
    title: str,
    years: Sequence[int],
    values: Sequence[float],
    target: float,
    target_label: str,
    unit: str,
    number: Callable[[float], str] = str,
):
    """History of one indicator against its target line; ``number`` formats the axis (Babel)."""
    with _lock:
        plt = _pyplot()
        from matplotlib.ticker import FuncFormatter

        fig, ax = plt.subplots(figsize=(6, 3.5))
        try:
            line = ax.plot(list(years), list(values), marker="o", color="#2a7ab9")[0]
            target_line = ax.axhline(target, color="#c0392b", linestyle="--", label=target_label)
            ax.set_title(title, fontsize=10)
            ax.set_ylabel(unit)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))
            if years:
                ax.set_xticks(list(years))
            ax.legend(loc="best", fontsize=8)
            ax.grid(alpha=0.3)
            summary = {"points": len(line.get_xdata()), "target": target_line.get_ydata()[0]}
            return _png(fig), summary
        finally:
            plt.close(fig)


def overview_chart(title: str, labels: Sequence[str], percents: Sequence[float], axis_label: str):
    """Progress of every indicator as a share of its target (capped at 100%)."""
    with _lock:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(labels), 3) + 1))
        try:
            bars = ax.barh(range(len(labels)), [min(p, 100) for p in percents], color="#27ae60")
            ax.set_yticks(range(len(labels)), labels, fontsize=8)
            ax.set_xlim(0, 100)
            ax.axvline(100, color="#c0392b", linestyle="--")
            ax.set_xlabel(axis_label)
            ax.set_title(title)
            ax.invert_yaxis()
            return _png(fig), {"bars": len(bars)}
        finally:
            plt.close(fig)
