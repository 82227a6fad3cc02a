"""Readers for Galaxy10 SDSS images: the public HDF5 file and the reference's pickled split.

Galaxy10 SDSS (Leung & Bovy, astroNN) holds 69x69 SDSS colour cutouts labelled by Galaxy Zoo votes:
``images`` uint8 ``(N, 69, 69, 3)`` with bands (g, r, i) along the last axis and ``ans`` ``(N,)``
class ids 0..9. The reference notebook keeps five classes, :data:`REFERENCE_CLASSES`, remapped to
0..4 in that order (:data:`CLASS_NAMES`). Its pickle (``dataG.pkl.gz``; the 3-band ``data.pkl`` is
not compressed) holds ``(train_images_raw, train_labels, test_images_raw, test_labels)`` with images
``(N, 69, 69, 1 or 3)`` and one-hot labels ``(N, 5)``.

Pixels are scaled exactly as the reference does, ``uint8 / 256``, so ``x`` lies in ``[0, 255/256]``
(float32 holds these values exactly). Classes and bands are selected before the conversion to
float32, and the HDF5 images are read in chunks, so memory peaks at the float32 output.
Unpickling runs code from the file: read only trusted files.
"""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from sim2model.io.dataset import Dataset
from sim2model.studies.galaxy10.names import CLASS_NAMES

REFERENCE_CLASSES: tuple[int, ...] = (0, 1, 2, 4, 7)
BANDS: dict[str, tuple[int, ...]] = {"g": (0,), "gri": (0, 1, 2)}
IMAGE_SIZE = 69
N_GALAXY10_CLASSES = 10
PICKLE_FIELDS = ("train_images_raw", "train_labels", "test_images_raw", "test_labels")
SPLITS = ("train", "test")  # values 0, 1 of meta/source_split
CHUNK_ROWS = 2048  # HDF5 rows read at a time


class Galaxy10FileError(ValueError):
    """A Galaxy10 file is missing, unreadable or malformed; the message names file and field."""


def band_channels(bands: str) -> tuple[int, ...]:
    """Channel indices of ``bands`` ("g" or "gri") in a (g, r, i) image."""
    if bands not in BANDS:
        raise ValueError(f"option 'bands' must be one of {sorted(BANDS)}, got {bands!r}")
    return BANDS[bands]


def dataset_attrs(bands: str, source: str) -> dict[str, Any]:
    """The attributes every Galaxy10 dataset carries (the caller adds provenance)."""
    return {
        "class_names": list(CLASS_NAMES),
        "target_names": [],
        "bands": bands,
        "source": source,
    }


def _require_real(path: Path, field: str, values: np.ndarray) -> None:
    """Raise unless ``values`` has a boolean, integer or floating dtype."""
    if not (
        values.dtype == bool
        or np.issubdtype(values.dtype, np.integer)
        or np.issubdtype(values.dtype, np.floating)
    ):
        raise Galaxy10FileError(f"{path}: field '{field}' is not numeric (dtype {values.dtype})")


def _check_pixels(path: Path, field: str, images: np.ndarray, rows: np.ndarray) -> None:
    """Raise unless ``images`` holds uint8 values (0..255, whole numbers); ``rows`` name them."""
    if images.dtype == np.uint8:
        return
    _require_real(path, field, images)
    bad = ~np.isfinite(images) | (images < 0) | (images > 255) | (images != np.round(images))
    if bad.any():
        row = rows[int(np.argmax(bad.reshape(len(images), -1).any(axis=1)))]
        raise Galaxy10FileError(
            f"{path}: field '{field}', row {row}: pixel values must be whole numbers in 0..255"
        )


def _scaled(images: np.ndarray) -> np.ndarray:
    """Validated 0..255 pixel values as float32 ``value / 256`` (exact, as the reference scales)."""
    return images.astype(np.float32) / np.float32(256)


def _integer_ids(path: Path, field: str, ids: np.ndarray, n_classes: int) -> np.ndarray:
    """``ids`` as int64 after checking they are whole numbers in ``0..n_classes-1``."""
    _require_real(path, field, ids)
    ok = np.isfinite(ids) & (ids >= 0) & (ids < n_classes) & (ids == np.round(ids))
    if not ok.all():
        row = int(np.argmin(ok))
        raise Galaxy10FileError(
            f"{path}: field '{field}', row {row}: class id {ids[row].item()!r} outside "
            f"0..{n_classes - 1} ({np.count_nonzero(~ok)} bad rows)"
        )
    return ids.astype(np.int64)


def _dataset(
    x: np.ndarray,
    labels: np.ndarray,
    source_index: np.ndarray,
    first_id: int,
    attrs: dict[str, Any],
    meta: dict[str, np.ndarray] | None = None,
) -> Dataset:
    """A Galaxy10 dataset of remapped ``labels`` (0..4) with the shared meta keys."""
    n = len(labels)
    return Dataset(
        x=x,
        y=labels.astype(np.int64),
        meta={
            "sample_id": first_id + np.arange(n, dtype=np.int64),
            "galaxy10_class": np.asarray(REFERENCE_CLASSES, dtype=np.int64)[labels],
            "source_index": source_index.astype(np.int64),
            **(meta or {}),
        },
        attrs=attrs,
    )


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise Galaxy10FileError(f"{path}: Galaxy10 file does not exist")


def read_galaxy10_h5(path: str | os.PathLike, *, bands: str = "g", first_id: int = 0) -> Dataset:
    """Read the public Galaxy10 SDSS HDF5 file, keeping the reference's five classes.

    Rows whose ``ans`` is in :data:`REFERENCE_CLASSES` are kept in file order with labels remapped
    to 0..4; ``bands`` "g" keeps channel 0, "gri" all three. ``meta/source_index`` is the row in the
    file and ``meta/galaxy10_class`` the original id. Raises :class:`Galaxy10FileError` naming the
    file and field when the file is missing, not HDF5, lacks ``images``/``ans``, has images not
    shaped ``(N, 69, 69, 3)`` or pixels outside 0..255, or ids outside 0..9.
    """
    path = Path(path)
    channels = band_channels(bands)
    _require_file(path)
    if not h5py.is_hdf5(path):
        raise Galaxy10FileError(f"{path}: not an HDF5 file")
    with h5py.File(path, "r") as f:
        for field in ("images", "ans"):
            if not isinstance(f.get(field), h5py.Dataset):
                raise Galaxy10FileError(f"{path}: field '{field}' missing (has {sorted(f)})")
        images, ans = f["images"], f["ans"]
        if images.ndim != 4 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
            raise Galaxy10FileError(
                f"{path}: field 'images' has shape {images.shape}, "
                f"expected (N, {IMAGE_SIZE}, {IMAGE_SIZE}, 3)"
            )
        if ans.shape != (images.shape[0],):
            raise Galaxy10FileError(
                f"{path}: field 'ans' has shape {ans.shape}, expected ({images.shape[0]},) "
                "to match 'images'"
            )
        ids = _integer_ids(path, "ans", ans[()], N_GALAXY10_CLASSES)
        rows = np.flatnonzero(np.isin(ids, REFERENCE_CLASSES))
        if rows.size == 0:
            raise Galaxy10FileError(
                f"{path}: field 'ans' holds none of the classes {REFERENCE_CLASSES}"
            )
        x = np.empty((rows.size, IMAGE_SIZE, IMAGE_SIZE, len(channels)), dtype=np.float32)
        done = 0
        for start in range(0, images.shape[0], CHUNK_ROWS):
            chunk_rows = rows[(rows >= start) & (rows < start + CHUNK_ROWS)]
            if chunk_rows.size == 0:
                continue
            chunk = images[start : start + CHUNK_ROWS][chunk_rows - start][..., list(channels)]
            _check_pixels(path, "images", chunk, chunk_rows)
            x[done : done + chunk_rows.size] = _scaled(chunk)
            done += chunk_rows.size
    labels = np.searchsorted(REFERENCE_CLASSES, ids[rows])
    return _dataset(x, labels, rows, first_id, dataset_attrs(bands, "h5"))


def _unpickle(path: Path) -> Any:
    """The object in a gzip-compressed or plain pickle file."""
    with path.open("rb") as f:
        compressed = f.read(2) == b"\x1f\x8b"
    try:
        with gzip.open(path, "rb") if compressed else path.open("rb") as f:
            return pickle.load(f)
    except Exception as err:  # unpickling fails in many ways; all mean "not such a pickle"
        raise Galaxy10FileError(f"{path}: not a (gzip-compressed) pickle ({err!r})") from err


def _pickled_labels(path: Path, field: str, labels: Any, n_images: int) -> np.ndarray:
    """Remapped labels 0..4 from one-hot ``(N, 5)`` rows or integer ids ``(N,)``."""
    labels = np.asarray(labels)
    n_classes = len(REFERENCE_CLASSES)
    if labels.ndim == 2 and labels.shape[1] == n_classes:
        _require_real(path, field, labels)
        binary = np.all((labels == 0) | (labels == 1), axis=1)
        ok = binary & (labels.sum(axis=1) == 1)
        if not ok.all():
            row = int(np.argmin(ok))
            raise Galaxy10FileError(
                f"{path}: field '{field}', row {row}: one-hot row {labels[row].tolist()} does not "
                f"sum to 1 with 0/1 entries ({np.count_nonzero(~ok)} bad rows)"
            )
        ids = np.argmax(labels, axis=1).astype(np.int64)
    elif labels.ndim == 1:
        ids = _integer_ids(path, field, labels, n_classes)
    else:
        raise Galaxy10FileError(
            f"{path}: field '{field}' has shape {labels.shape}, expected one-hot (N, {n_classes}) "
            "or class ids (N,)"
        )
    if len(ids) != n_images:
        raise Galaxy10FileError(
            f"{path}: field '{field}' has {len(ids)} labels but its images have {n_images}"
        )
    return ids


def _pickled_images(path: Path, field: str, images: Any, bands: str) -> np.ndarray:
    """Scaled float32 images ``(N, 69, 69, C)`` of ``bands`` from one pickled image array."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1:3] != (IMAGE_SIZE, IMAGE_SIZE):
        raise Galaxy10FileError(
            f"{path}: field '{field}' has shape {images.shape}, "
            f"expected (N, {IMAGE_SIZE}, {IMAGE_SIZE}, 1 or 3)"
        )
    if images.shape[3] not in (1, 3):
        raise Galaxy10FileError(f"{path}: field '{field}' has {images.shape[3]} bands, not 1 or 3")
    channels = band_channels(bands)
    if images.shape[3] == 1 and channels != BANDS["g"]:
        raise Galaxy10FileError(
            f"{path}: field '{field}' holds the g band only; option bands={bands!r} needs 3 bands"
        )
    images = images[..., list(channels)]
    _check_pixels(path, field, images, np.arange(len(images)))
    return _scaled(images)


def read_galaxy10_pickle(
    path: str | os.PathLike, *, bands: str = "g", first_id: int = 0
) -> tuple[Dataset, Dataset]:
    """Read the reference's pickled split; return ``(train, test)`` datasets.

    The file (gzip-compressed or plain) holds the 4-tuple :data:`PICKLE_FIELDS`. Labels are
    one-hot rows or ids, both already in the reference's remapped order (0..4). Sample ids run from
    ``first_id`` through the training set, then the test set; ``meta/source_split`` is 0 (train)
    or 1 (test) and ``meta/source_index`` the row in its array. Raises
    :class:`Galaxy10FileError` naming the file and field on any malformed input.
    """
    path = Path(path)
    band_channels(bands)
    _require_file(path)
    content = _unpickle(path)
    if not isinstance(content, (tuple, list)) or len(content) != len(PICKLE_FIELDS):
        size = f" of length {len(content)}" if isinstance(content, (tuple, list)) else ""
        raise Galaxy10FileError(
            f"{path}: holds a {type(content).__name__}{size}, expected a 4-tuple {PICKLE_FIELDS}"
        )
    parts = []
    for split_id, split in enumerate(SPLITS):
        image_field, label_field = PICKLE_FIELDS[2 * split_id : 2 * split_id + 2]
        x = _pickled_images(path, image_field, content[2 * split_id], bands)
        labels = _pickled_labels(path, label_field, content[2 * split_id + 1], len(x))
        n = len(labels)
        parts.append(
            _dataset(
                x,
                labels,
                np.arange(n),
                first_id + sum(len(p) for p in parts),
                {**dataset_attrs(bands, "pickle"), "source_split": split},
                meta={"source_split": np.full(n, split_id, dtype=np.int64)},
            )
        )
    return parts[0], parts[1]
