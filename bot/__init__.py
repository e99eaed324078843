"""Bình Lư assistant: a Telegram bot for xã Bình Lư (Lai Châu) answering from a curated knowledge base."""

__version__ = "0.1.0"


def _sqlite_utils_without_numpy() -> None:
    """sqlite-utils imports numpy and pandas, when installed, only to map their types to column
    types; the bot stores neither. numpy alone is a tenth of a second of every start of ``ask`` and
    ``chat`` (matplotlib, which needs it, imports it when a chart is drawn), so sqlite-utils is first
    imported with the two hidden. Nothing else sees the difference."""
    import sys

    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "import numpy" raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]


_sqlite_utils_without_numpy()
