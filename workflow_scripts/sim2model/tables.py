"""Helpers for the Markdown tables every report writes beside its CSV."""

from __future__ import annotations

import pandas as pd


def with_blanks(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with NaN cells as None, which Markdown tables show as ``missingval``."""
    return table.astype(object).where(table.notna(), None)
