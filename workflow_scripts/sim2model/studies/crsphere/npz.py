"""Reader for cosmic-ray sky files laid out like the reference's ``cr_sphere.npz``.

The file is a NumPy ``.npz`` archive with two arrays:

* ``data``: float ``(N, P, 4)``, per event a unit arrival vector ``(x, y, z)`` and a normalised
  energy (passed on unchanged: the reference does not say how it was normalised);
* ``label``: ``(N,)`` classes 0 (isotropic) / 1 (signal), or their one-hot encoding ``(N, 2)``.

``start``/``stop`` select a row range, so a large file can be ingested in shards. Rows are read
by seeking inside the archive member, so a shard does not load the whole ``data`` array (C-order
arrays; a Fortran-order array is read whole). Pickled (object) arrays are refused.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from sim2model.io.dataset import Dataset
from sim2model.studies.crsphere.names import CLASS_NAMES, FEATURE_NAMES

DATA, LABEL = "data", "label"
UNIT_TOLERANCE = 1e-3


class CRSphereFileError(ValueError):
    """A cosmic-ray sky file is unreadable or malformed; the message names the file and field."""


def _error(path: Path, field: str, why: str) -> CRSphereFileError:
    return CRSphereFileError(f"{path}: field '{field}': {why}")


def _header(fh: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype] | None:
    """Shape, Fortran order and dtype of an ``.npy`` stream (None for header versions > 2)."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fh)
    return None


def _read_rows(
    archive: np.lib.npyio.NpzFile, name: str, start: int, stop: int | None
) -> tuple[np.ndarray, int]:
    """Rows ``start:stop`` of member ``name`` (seeking past the rows before them), total rows."""
    with archive.zip.open(f"{name}.npy") as fh:
        header = _header(fh)
        if header is None or header[1] or not header[0]:
            whole = archive[name]  # Fortran order, 0-d or a newer header: read it all
            if whole.ndim == 0:
                raise ValueError("a scalar, not an array of rows")
            return whole[start:stop], len(whole)
        shape, _, dtype = header
        if dtype.hasobject:
            raise ValueError(f"array of dtype {dtype} holds Python objects")
        first, last, _ = slice(start, stop).indices(shape[0])
        last = max(first, last)
        row_bytes = dtype.itemsize * int(np.prod(shape[1:], dtype=np.int64))
        fh.seek(first * row_bytes, os.SEEK_CUR)
        buffer = fh.read((last - first) * row_bytes)
        if len(buffer) != (last - first) * row_bytes:
            raise ValueError("array data is truncated")
        rows = np.frombuffer(buffer, dtype=dtype).reshape((last - first, *shape[1:]))
        return rows.copy(), shape[0]


def _labels(path: Path, raw: np.ndarray, first_row: int) -> np.ndarray:
    """Class labels 0/1 from integer/float labels or a one-hot ``(N, 2)`` array."""
    if not any(np.issubdtype(raw.dtype, kind) for kind in (np.bool_, np.integer, np.floating)):
        raise _error(path, LABEL, f"dtype {raw.dtype} is not numeric")
    if raw.ndim == 2 and raw.shape[1] == len(CLASS_NAMES):
        one_hot = np.all((raw == 0) | (raw == 1), axis=1) & (raw.sum(axis=1) == 1)
        if not one_hot.all():
            row = first_row + int(np.argmin(one_hot))
            raise _error(path, LABEL, f"row {row} is not a one-hot vector of 0/1")
        return np.argmax(raw, axis=1).astype(np.int64)
    if raw.ndim != 1:
        raise _error(
            path, LABEL, f"shape {raw.shape} is neither (N,) nor one-hot (N, {len(CLASS_NAMES)})"
        )
    valid = (raw == 0) | (raw == 1)
    if not valid.all():
        row = int(np.argmin(valid))
        raise _error(
            path,
            LABEL,
            f"row {first_row + row} holds {raw[row]!r}; labels must be 0 (isotropic) or 1 (signal)",
        )
    return raw.astype(np.int64)


def _check_data(path: Path, data: np.ndarray, first_row: int) -> None:
    """Shape ``(N, P, 4)``, real floats, finite, unit vectors in the first three columns."""
    if data.ndim != 3 or data.shape[2] != 4:
        raise _error(path, DATA, f"shape {data.shape} is not (N, events, 4) = (x, y, z, energy)")
    if not np.issubdtype(data.dtype, np.floating):
        raise _error(path, DATA, f"dtype {data.dtype} is not a floating-point type")
    finite = np.isfinite(data).all(axis=(1, 2))
    if not finite.all():
        row = first_row + int(np.argmin(finite))
        raise _error(path, DATA, f"row {row} holds NaN/inf values")
    norm_error = np.abs(np.linalg.norm(data[..., :3].astype(np.float64), axis=-1) - 1.0)
    unit = (norm_error < UNIT_TOLERANCE).all(axis=1)
    if not unit.all():
        row = int(np.argmin(unit))
        raise _error(
            path,
            DATA,
            f"row {first_row + row}: (x, y, z) are not unit vectors "
            f"(|norm - 1| up to {norm_error[row].max():.3g}, tolerance {UNIT_TOLERANCE})",
        )


def read_crsphere_npz(
    path: str | os.PathLike, *, first_id: int = 0, start: int = 0, stop: int | None = None
) -> Dataset:
    """Read and validate rows ``start:stop`` of a ``cr_sphere.npz``-like file as a dataset.

    ``x`` is float32 ``(n, P, 4)``, ``y`` int64 labels; ``meta`` holds ``sample_id`` (from
    ``first_id``) and ``file_row`` (the row in the file). Raises :class:`CRSphereFileError`
    naming the file and the field (``data`` or ``label``) when the file is missing, not an
    ``.npz`` archive, lacks a field, or holds bad shapes, dtypes, NaNs, non-unit vectors or
    labels other than 0/1.
    """
    path = Path(path)
    if not path.is_file():
        raise CRSphereFileError(f"{path}: file does not exist")
    if start < 0 or (stop is not None and stop < start):
        raise CRSphereFileError(f"{path}: bad row range start={start}, stop={stop}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise CRSphereFileError(f"{path}: cannot load as a NumPy file ({err})") from err
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise CRSphereFileError(f"{path}: not an .npz archive (fields '{DATA}', '{LABEL}')")
    with archive:
        for field in (DATA, LABEL):
            if field not in archive.files:
                raise _error(path, field, f"missing (the archive holds {sorted(archive.files)})")
        arrays, totals = {}, {}
        for field in (DATA, LABEL):
            try:
                arrays[field], totals[field] = _read_rows(archive, field, start, stop)
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
                raise _error(path, field, f"cannot read ({err})") from err
    if totals[LABEL] != totals[DATA]:
        raise _error(path, LABEL, f"{totals[LABEL]} rows but '{DATA}' has {totals[DATA]}")
    if start >= totals[DATA]:
        raise _error(path, DATA, f"row range {start}:{stop} is empty ({totals[DATA]} rows)")
    data, labels = arrays[DATA], _labels(path, arrays[LABEL], start)
    _check_data(path, data, start)
    n = len(data)
    return Dataset(
        x=data.astype(np.float32),
        y=labels,
        meta={
            "sample_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "file_row": np.arange(start, start + n, dtype=np.int64),
        },
        attrs={
            "class_names": list(CLASS_NAMES),
            "target_names": [],
            "feature_names": [*FEATURE_NAMES[:3], "energy_normalised"],
            "source_file": path.name,
        },
    )


def count_rows(path: str | os.PathLike) -> int:
    """Number of samples (rows of ``label``) in a ``cr_sphere.npz``-like file, read from its header.

    Sharded ingest splits this count into row ranges; the rows themselves are validated when
    :func:`read_crsphere_npz` reads them.
    """
    path = Path(path)
    if not path.is_file():
        raise CRSphereFileError(f"{path}: file does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if LABEL not in archive.files:
                raise _error(path, LABEL, f"missing (the archive holds {sorted(archive.files)})")
            return _read_rows(archive, LABEL, 0, 0)[1]
    except (OSError, ValueError, EOFError, AttributeError, zipfile.BadZipFile) as err:
        if isinstance(err, CRSphereFileError):
            raise
        raise CRSphereFileError(f"{path}: cannot read as an .npz archive ({err})") from err
