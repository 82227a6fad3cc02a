"""Reader for pandas-pickled 21-cm map tables laid out like the reference's ``df_recode.gzip``.

The file is a gzip-compressed pickle of a DataFrame with one row per map: a column of 2-D arrays
(``maps``), the neutral fraction (``xHI``), the ``redshift`` and possibly more scalar columns
(e.g. astrophysical parameters). Unpickling runs code from the file: read only trusted files.

Boxes: which maps were sliced from one simulated box is known only when a column says so. The
config key ``eor21cm.pickle.box_column`` names that column; without it the maps carry no box id
(nothing is guessed from the other columns), so ``dataset.group_by: box_id`` is refused for
such a source (:func:`pickle_has_boxes`, :func:`check_pickle_group_by`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

MAPS, LABEL, REDSHIFT = "maps", "xHI", "redshift"
BOX_ID = "box_id"


class EorPickleError(ValueError):
    """A map table is unreadable or malformed; the message names the file, row and column."""


@dataclass(frozen=True)
class MapTable:
    """The maps (float32 ``(N, H, W)``), their xHI labels and every other numeric column.

    ``box_id`` (int64 ``(N,)``) is the simulated box of each map, from the box column named to
    :func:`read_eor_pickle`; ``None`` when no column was named.
    """

    maps: np.ndarray
    xhi: np.ndarray
    redshift: np.ndarray
    columns: dict[str, np.ndarray]
    box_id: np.ndarray | None = None


def pickle_has_boxes(box_column: str | None) -> bool:
    """Whether maps of a pickle source carry ``meta/box_id``: only when a box column is named."""
    return box_column is not None


def check_pickle_group_by(group_by: str | None, box_column: str | None) -> None:
    """Refuse ``dataset.group_by: box_id`` for a pickle source without a box column.

    Call at config-parse time with ``eor21cm.dataset.group_by`` and
    ``eor21cm.pickle.box_column``; raises :class:`EorPickleError` naming both keys.
    """
    if group_by == BOX_ID and not pickle_has_boxes(box_column):
        raise EorPickleError(
            "config eor21cm.dataset.group_by: box_id needs eor21cm.pickle.box_column: the "
            "pickle source knows which box a map comes from only from a column naming it; set "
            "eor21cm.pickle.box_column to that column, or set group_by to null (sample by sample)"
        )


def _first_bad(path: Path, column: str, ok: np.ndarray, index: pd.Index, why: str) -> None:
    """Raise naming the first row where ``ok`` is False."""
    if not ok.all():
        row = index[int(np.argmin(ok))]
        raise EorPickleError(
            f"{path}: column '{column}', row {row!r}: {why} ({np.count_nonzero(~ok)} bad rows)"
        )


def _numeric(path: Path, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column ``column`` as finite float64, or an error naming the first bad row."""
    try:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise EorPickleError(f"{path}: column '{column}' is not numeric ({err})") from err
    _first_bad(path, column, np.isfinite(values), frame.index, "not a finite number")
    return values


def _stack_maps(path: Path, frame: pd.DataFrame) -> np.ndarray:
    """The ``maps`` column as one float32 array; all maps 2-D, of one shape and finite."""
    maps = [np.asarray(m) for m in frame[MAPS]]
    is_2d = np.array([m.ndim == 2 for m in maps])
    _first_bad(path, MAPS, is_2d, frame.index, "not a 2-D array")
    shape = maps[0].shape
    same = np.array([m.shape == shape for m in maps])
    _first_bad(path, MAPS, same, frame.index, f"map shape differs from the first map's {shape}")
    numeric = np.array([np.issubdtype(m.dtype, np.number) for m in maps])
    _first_bad(path, MAPS, numeric, frame.index, "map is not numeric")
    with np.errstate(over="ignore"):
        stacked = np.stack(maps).astype(np.float32)
    finite = np.isfinite(stacked).all(axis=(1, 2))
    _first_bad(path, MAPS, finite, frame.index, "map holds NaN/inf (or overflows float32)")
    return stacked


def _box_ids(path: Path, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Box ids (int64) from ``column``: integer values as they are, others numbered.

    Integer-valued columns (integer dtype, or floats that are all whole numbers) give their own
    values; any other values (e.g. strings) are numbered 0, 1, ... in sorted order over the
    whole table, so every shard of one table agrees. Missing values are refused.
    """
    if column not in frame.columns:
        raise EorPickleError(
            f"{path}: box column '{column}' (config eor21cm.pickle.box_column) is missing; "
            f"columns are {list(frame.columns)}"
        )
    values = frame[column]
    _first_bad(path, column, values.notna().to_numpy(), frame.index, "missing box id")
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(values):
        floats = values.to_numpy(dtype=np.float64)
        whole = np.isfinite(floats) & (floats == np.round(floats)) & (np.abs(floats) < 2**53)
        if whole.all():
            return floats.astype(np.int64)
    try:
        codes, _ = pd.factorize(values, sort=True)
    except TypeError as err:
        raise EorPickleError(
            f"{path}: box column '{column}' mixes values that cannot be ordered ({err})"
        ) from err
    return codes.astype(np.int64)


def read_eor_pickle(path: str | os.PathLike, box_column: str | None = None) -> MapTable:
    """Read and validate a gzip-compressed pandas pickle of 21-cm maps.

    Checks: the file unpickles to a DataFrame with ``maps``, ``xHI`` and ``redshift`` columns;
    maps are 2-D, of one shape, numeric and finite (as float32); ``xHI`` lies in [0, 1];
    redshifts are finite. Other columns of numeric dtype are returned in ``columns`` (float64,
    ``/`` in names replaced by ``_``); the rest are ignored. ``box_column`` (optional) names the
    column identifying each map's simulated box (see :func:`_box_ids`); it must exist and have
    no missing values. Raises :class:`EorPickleError` naming the file and the first bad row.
    """
    path = Path(path)
    if not path.is_file():
        raise EorPickleError(f"{path}: map table file does not exist")
    try:
        frame = pd.read_pickle(path, compression="gzip")
    except Exception as err:  # unpickling can fail in many ways; all mean "not such a table"
        raise EorPickleError(f"{path}: not a gzip-compressed pandas pickle ({err!r})") from err
    if not isinstance(frame, pd.DataFrame):
        raise EorPickleError(f"{path}: holds a {type(frame).__name__}, expected a DataFrame")
    missing = [c for c in (MAPS, LABEL, REDSHIFT) if c not in frame.columns]
    if missing:
        raise EorPickleError(f"{path}: missing columns {missing} (has {list(frame.columns)})")
    if frame.empty:
        raise EorPickleError(f"{path}: the table has no rows")
    xhi = _numeric(path, frame, LABEL)
    _first_bad(path, LABEL, (xhi >= 0) & (xhi <= 1), frame.index, "xHI outside [0, 1]")
    columns = {}
    for name in frame.columns:
        if name in (MAPS, LABEL, REDSHIFT):
            continue
        if pd.api.types.is_numeric_dtype(frame[name]):
            columns[str(name).replace("/", "_")] = frame[name].to_numpy(dtype=np.float64)
    return MapTable(
        maps=_stack_maps(path, frame),
        xhi=xhi,
        redshift=_numeric(path, frame, REDSHIFT),
        columns=columns,
        box_id=None if box_column is None else _box_ids(path, frame, box_column),
    )
