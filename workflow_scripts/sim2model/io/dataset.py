"""The one HDF5 dataset contract shared by every stage (see docs/architecture.md).

A dataset file holds:

* ``x``: float32 samples, shape ``(N, ...)``;
* ``y``: targets, ``(N, K)`` float32 (regression), ``(N,)`` integer (classification) or
  float32 arrays on the grid of ``x`` with their own channels (image2image: ``(N, H, W, C)`` maps,
  or ``(N, Z, Y, X, C)`` cubes in the shards of spatial sources);
* ``meta/<name>``: one 1-D array of length N per per-sample attribute;
* ``extra/<name>``: further per-sample arrays of leading length N;
* file attributes listed in :data:`REQUIRED_ATTRS`.

Files are written atomically (temporary file + rename) and without HDF5 timestamps, so the
same arrays always give byte-identical files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

TASKS = ("regression", "classification", "image2image")
REQUIRED_ATTRS = (
    "study",
    "task",
    "target_names",
    "class_names",
    "config_hash",
    "code_version",
    "created_by",
    "versions",
)


class DatasetError(ValueError):
    """A dataset file or object breaks the contract; the message names the file."""


@dataclass
class Dataset:
    """In-memory form of one contract file."""

    x: np.ndarray
    y: np.ndarray
    meta: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, index: np.ndarray | Sequence[int]) -> Dataset:
        """Return the samples at ``index`` (a copy), keeping the attributes."""
        index = np.asarray(index)
        return Dataset(
            x=self.x[index],
            y=self.y[index],
            meta={k: v[index] for k, v in self.meta.items()},
            extra={k: v[index] for k, v in self.extra.items()},
            attrs=dict(self.attrs),
        )


def _problems(ds: Dataset) -> list[str]:
    """List every way ``ds`` breaks the contract (empty when it is valid)."""
    problems = []
    if not isinstance(ds.x, np.ndarray) or ds.x.ndim < 2:
        return ["'x' must be an array of shape (N, ...) with at least 2 dimensions"]
    n = ds.x.shape[0]
    if ds.x.dtype != np.float32:
        problems.append(f"'x' must be float32, got {ds.x.dtype}")
    elif not np.all(np.isfinite(ds.x)):
        problems.append(f"'x' holds {np.count_nonzero(~np.isfinite(ds.x))} NaN/inf values")
    if ds.y.shape[:1] != (n,):
        problems.append(f"'y' has leading length {ds.y.shape[:1]}, expected ({n},) to match 'x'")
    task = ds.attrs.get("task")
    if task not in TASKS:
        problems.append(f"attribute 'task' must be one of {TASKS}, got {task!r}")
    elif task == "regression":
        if ds.y.ndim != 2 or ds.y.dtype != np.float32:
            problems.append(f"regression 'y' must be float32 (N, K), got {ds.y.dtype} {ds.y.shape}")
        elif len(ds.attrs.get("target_names", ())) != ds.y.shape[1]:
            problems.append(
                f"'target_names' has {len(ds.attrs.get('target_names', ()))} names "
                f"but 'y' has {ds.y.shape[1]} columns"
            )
        elif not np.all(np.isfinite(ds.y)):
            problems.append("'y' holds NaN/inf values")
    elif task == "classification":
        if ds.y.ndim != 1 or not np.issubdtype(ds.y.dtype, np.integer):
            problems.append(
                f"classification 'y' must be integer (N,), got {ds.y.dtype} {ds.y.shape}"
            )
        elif n and (ds.y.min() < 0 or ds.y.max() >= len(ds.attrs.get("class_names", ()))):
            problems.append("classification 'y' has labels outside range(len(class_names))")
    elif task == "image2image" and (
        ds.y.dtype != np.float32 or ds.y.ndim != ds.x.ndim or ds.y.shape[:-1] != ds.x.shape[:-1]
    ):
        problems.append(
            f"image2image 'y' must be float32 on the grid of 'x' {ds.x.shape[:-1]} (+ channels), "
            f"got {ds.y.dtype} {ds.y.shape}"
        )
    for group in ("meta", "extra"):
        for name, values in getattr(ds, group).items():
            values = np.asarray(values)
            if values.shape[:1] != (n,):
                problems.append(
                    f"'{group}/{name}' has leading length {values.shape[:1]}, expected {n}"
                )
            if group == "meta" and values.ndim != 1:
                problems.append(f"'meta/{name}' must be 1-D, got shape {values.shape}")
    missing = [a for a in REQUIRED_ATTRS if a not in ds.attrs]
    if missing:
        problems.append(f"missing attributes {missing}")
    return problems


def check_dataset(ds: Dataset, source: str | os.PathLike = "<memory>") -> None:
    """Raise :class:`DatasetError` naming ``source`` if ``ds`` breaks the contract."""
    problems = _problems(ds)
    if problems:
        raise DatasetError(f"{source}: not a valid sim2model dataset: " + "; ".join(problems))


def encode_attr(value: Any) -> Any:
    """HDF5-storable form of an attribute: dicts as JSON, sequences as string arrays."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, (list, tuple)):
        return np.array([str(v) for v in value], dtype=h5py.string_dtype())
    return value


def decode_attr(name: str, value: Any) -> Any:
    """Inverse of :func:`encode_attr` (``versions`` is the one JSON attribute)."""
    if isinstance(value, np.ndarray):
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value.tolist()]
    if isinstance(value, bytes):
        value = value.decode()
    if name == "versions" and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_dataset(path: str | os.PathLike, ds: Dataset) -> Path:
    """Validate ``ds`` and write it to ``path`` atomically; return the path."""
    path = Path(path)
    check_dataset(ds, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("x", data=ds.x, track_times=False)
            f.create_dataset("y", data=ds.y, track_times=False)
            for group in ("meta", "extra"):
                g = f.create_group(group)
                for name in sorted(getattr(ds, group)):
                    g.create_dataset(
                        name, data=np.asarray(getattr(ds, group)[name]), track_times=False
                    )
            for key in sorted(ds.attrs):
                f.attrs[key] = encode_attr(ds.attrs[key])
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _open_contract_file(path: Path) -> h5py.File:
    """``path`` opened for reading, with its ``x`` and ``y`` arrays checked to exist."""
    if not path.is_file():
        raise DatasetError(f"{path}: dataset file does not exist")
    f = h5py.File(path, "r")
    missing = [k for k in ("x", "y") if k not in f]
    if missing:
        f.close()
        raise DatasetError(f"{path}: not a valid sim2model dataset: missing arrays {missing}")
    return f


def read_dataset(
    path: str | os.PathLike, *, extra: bool | Iterable[str] = True, rows: int | None = None
) -> Dataset:
    """Read and validate a contract file.

    ``extra`` selects which ``extra/`` arrays to load: all (True), none (False), or the names given.
    ``rows``: read only the first ``rows`` samples (None: all), without reading the rest.
    Raises :class:`DatasetError` naming the file if it is missing, unreadable or malformed.
    """
    path = Path(path)
    first = slice(None) if rows is None else slice(0, rows)
    try:
        with _open_contract_file(path) as f:
            stored = set(f["extra"]) if "extra" in f else set()
            wanted = stored if extra is True else set(extra or ())
            ds = Dataset(
                x=f["x"][first],
                y=f["y"][first],
                meta={k: v[first] for k, v in f["meta"].items()} if "meta" in f else {},
                extra={k: f["extra"][k][first] for k in f.get("extra", {}) if k in wanted},
                attrs={k: decode_attr(k, v) for k, v in f.attrs.items()},
            )
    except DatasetError:
        raise
    except (OSError, KeyError) as err:
        raise DatasetError(f"{path}: cannot read HDF5 dataset ({err})") from err
    check_dataset(ds, path)
    return ds


def count_samples(path: str | os.PathLike) -> int:
    """Number of samples in a contract file, read from its ``x`` array's shape alone."""
    path = Path(path)
    try:
        with _open_contract_file(path) as f:
            return int(f["x"].shape[0])
    except DatasetError:
        raise
    except OSError as err:
        raise DatasetError(f"{path}: cannot read HDF5 dataset ({err})") from err


def validate_dataset(path: str | os.PathLike) -> Dataset:
    """Open ``path`` with a real HDF5 reader and check the contract; return the dataset."""
    return read_dataset(path)


def concat_datasets(parts: Sequence[Dataset], attrs: dict[str, Any] | None = None) -> Dataset:
    """Concatenate datasets sample-wise; ``attrs`` default to those of the first part."""
    if not parts:
        raise DatasetError("cannot concatenate an empty list of datasets")
    keys = {g: sorted(getattr(parts[0], g)) for g in ("meta", "extra")}
    for i, p in enumerate(parts):
        for g, names in keys.items():
            if sorted(getattr(p, g)) != names:
                raise DatasetError(
                    f"part {i} has {g} keys {sorted(getattr(p, g))}, expected {names}"
                )
    return Dataset(
        x=np.concatenate([p.x for p in parts]),
        y=np.concatenate([p.y for p in parts]),
        meta={k: np.concatenate([p.meta[k] for p in parts]) for k in keys["meta"]},
        extra={k: np.concatenate([p.extra[k] for p in parts]) for k in keys["extra"]},
        attrs=dict(attrs if attrs is not None else parts[0].attrs),
    )
