"""21-cm boxes -> contract shards of 2-D brightness-temperature maps labelled by neutral fraction.

Each box (``[x, y, z]``, line of sight = last axis) gives ``slices_per_box`` maps: single-cell
slices perpendicular to the line of sight at indices evenly spaced along it (the centres of
equal segments). A map's label is the mean xHI of its own slice at full resolution, so labels
scatter around the box mean (``meta/xHI_box``). ``image_size`` optionally resizes maps: by block
means (``resize="block_mean"``, which needs ``image_size`` to divide the box size; block means
keep each map's mean, so the label is also the mean of the downsampled xHI slice), or by a centred
crop (``resize="crop"``: rows and columns from ``(N - image_size) // 2``; the label is then the
mean xHI of the cropped region).

A shard is a :class:`Dataset` with ``x`` float32 ``(N, H, W, 1)`` maps of Tb in mK, ``y`` float32
``(N, 1)`` (``target_names=["xHI"]``) and ``meta/``: ``xHI_box``, ``redshift``, ``box_id`` (one
density realisation: a built-in box or a SimFast21 run, the same at all its redshifts; a pickle
has it only from the column named by ``box_column``),
``slice_index`` (-1 when unknown), ``zeta`` (NaN when unknown), ``seed`` (-1 when unknown) and
``sample_id``, plus source-specific keys (SimFast21: ``fesc``, ``sfrd``; pickle: its other
numeric columns). For boxes ``sample_id = box_id * ID_STRIDE + (index within the box)``, so ids
stay unique across shards whenever box ids do. The caller adds the provenance attributes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from sim2model.io.dataset import Dataset
from sim2model.progress import progress as progress_bar
from sim2model.sharding import even_spans
from sim2model.studies.eor21cm.map_table import read_eor_pickle
from sim2model.studies.eor21cm.names import TARGET_NAMES, TARGET_UNITS
from sim2model.studies.eor21cm.seminumerical import DensityBox, SimConfig, Snapshot, zeta_for_xhi
from sim2model.studies.eor21cm.simfast21 import open_run

META_KEYS = ("xHI_box", "redshift", "box_id", "slice_index", "zeta", "seed", "sample_id")
ID_STRIDE = 2**20  # sample ids per box id


Part = tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]  # maps, labels, meta


def slice_positions(n_los: int, n_slices: int) -> np.ndarray:
    """``n_slices`` indices along an axis of ``n_los`` cells: centres of equal segments."""
    if not 1 <= n_slices <= n_los:
        raise ValueError(f"slices per box must be in [1, {n_los}], got {n_slices}")
    return (2 * np.arange(n_slices) + 1) * n_los // (2 * n_slices)


def block_mean(maps: np.ndarray, size: int) -> np.ndarray:
    """Shrink maps ``(S, H, W)`` to ``(S, size, size)`` by averaging equal blocks."""
    s, h, w = maps.shape
    if size < 1 or h % size or w % size:
        raise ValueError(f"image_size {size} must divide the map size {h}x{w}")
    return maps.reshape(s, size, h // size, size, w // size).mean(axis=(2, 4))


#: How maps are brought to ``image_size``: block means or a centred crop.
RESIZE_RULES = ("block_mean", "crop")


def centred_crop_start(n: int, size: int) -> int:
    """First row (and column) of the centred ``size`` crop of an ``n``-cell map."""
    if not 1 <= size <= n:
        raise ValueError(f"image_size {size} does not fit in the map size {n}")
    return (n - size) // 2


def box_maps(
    tb_mk: np.ndarray,
    xhi: np.ndarray,
    slices_per_box: int,
    image_size: int | None = None,
    resize: str = "block_mean",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maps (float32 ``(S, H, W)``, mK), slice-mean xHI labels (float64) and slice indices."""
    index = slice_positions(tb_mk.shape[-1], slices_per_box)
    maps = np.moveaxis(np.asarray(tb_mk, dtype=np.float64)[..., index], -1, 0)
    if image_size is not None and resize == "crop":
        first = centred_crop_start(min(maps.shape[1:]), image_size)
        window = slice(first, first + image_size)
        region = np.asarray(xhi)[window, window][..., index]
        labels = region.mean(axis=(0, 1), dtype=np.float64)
        return maps[:, window, window].astype(np.float32), labels, index
    if resize not in RESIZE_RULES:
        raise ValueError(f"resize must be one of {RESIZE_RULES}, got {resize!r}")
    labels = np.asarray(xhi)[..., index].mean(axis=(0, 1), dtype=np.float64)
    if image_size is not None:
        maps = block_mean(maps, image_size)
    return maps.astype(np.float32), labels, index


def _box_part(
    tb_mk: np.ndarray,
    xhi: np.ndarray,
    slicing: tuple[int, int | None, str],
    box_id: int,
    first_local: int,
    **shared: float,
) -> Part:
    """Slice one box (``slicing``: slices per box, image size, resize rule); ``shared`` meta: all
    its maps."""
    maps, labels, index = box_maps(tb_mk, xhi, *slicing)
    n = len(labels)
    if first_local + n > ID_STRIDE:
        raise ValueError(f"more than {ID_STRIDE} maps per box: sample ids would collide")
    meta = {
        "slice_index": index,
        "box_id": np.full(n, box_id),
        "sample_id": box_id * ID_STRIDE + first_local + np.arange(n),
        **{k: np.full(n, v) for k, v in shared.items()},
    }
    return maps, labels, meta


def snapshot_part(
    snap: Snapshot,
    slicing: tuple[int, int | None, str],
    box_id: int,
    redshift_index: int,
    **shared: float,
) -> Part:
    """Maps of a simulated box at one redshift, with its box-level meta (plus ``shared``)."""
    return _box_part(
        snap.tb_mk,
        snap.xhi,
        slicing,
        box_id,
        redshift_index * slicing[0],
        xHI_box=snap.xhi_mean,
        redshift=snap.redshift,
        zeta=snap.zeta,
        seed=snap.seed,
        **shared,
    )


def _dataset(parts: Sequence[Part], source: str) -> Dataset:
    """The shard's Dataset from its parts (all with the same meta keys)."""
    if not parts:
        raise ValueError(f"{source}: no boxes or maps to make a shard from")
    shapes = sorted({maps.shape[1:] for maps, _, _ in parts})
    if len(shapes) != 1:
        raise ValueError(f"{source}: maps of different shapes {shapes}; set image_size")
    meta = {k: np.concatenate([m[k] for _, _, m in parts]) for k in sorted(parts[0][2])}
    for key in ("box_id", "slice_index", "seed", "sample_id"):
        if key in meta:  # a pickle without a box column has no box_id
            meta[key] = meta[key].astype(np.int64)
    return Dataset(
        x=np.concatenate([maps for maps, _, _ in parts])[..., None],
        y=np.concatenate([labels for _, labels, _ in parts]).astype(np.float32)[:, None],
        meta=meta,
        attrs={
            "target_names": list(TARGET_NAMES),
            "class_names": [],
            "units": list(TARGET_UNITS),
            "map_units": "mK",
            "source": source,
        },
    )


#: How built-in boxes get their ionising efficiency zeta (see :func:`builtin_shard`).
HISTORIES = ("balanced", "physical")


def stratified_targets(rng: np.random.Generator, n: int, bounds: tuple[float, float]) -> np.ndarray:
    """``n`` values in ``bounds``, one uniform draw in each of ``n`` equal strata, shuffled."""
    lo, hi = bounds
    return lo + (hi - lo) * (rng.permutation(n) + rng.uniform(size=n)) / n


def builtin_shard(
    seed: int,
    *,
    n_boxes: int,
    first_box_id: int,
    redshifts: Sequence[float],
    slices_per_box: int = 8,
    image_size: int | None = None,
    resize: str = "block_mean",
    xhi_bounds: tuple[float, float] = (0.05, 0.95),
    config: SimConfig | None = None,
    tol: float = 0.005,
    history: str = "balanced",
    progress: bool = False,
) -> Dataset:
    """Simulate ``n_boxes`` built-in boxes (ids from ``first_box_id``) at every redshift.

    ``seed`` (the shard's) seeds the boxes and their targets. ``history="balanced"``: at each
    redshift the boxes' box-mean xHI targets are stratified uniform in ``xhi_bounds`` and zeta is
    bisected to within ``tol`` of them, so labels spread evenly at every redshift.
    ``history="physical"``: each box keeps one zeta at every redshift, bisected for a target
    (stratified uniform in ``xhi_bounds``) at the middle redshift, so xHI falls with time as in
    SimFast21 and 21cmFAST and boxes differ in when they reionize. Pass
    ``first_box_id = shard_index * boxes_per_shard`` to keep ids unique.
    """
    if history not in HISTORIES:
        raise ValueError(f"history must be one of {HISTORIES}, got {history!r}")
    rng = np.random.default_rng(seed)
    box_seeds = rng.integers(2**62, size=n_boxes)
    targets = [stratified_targets(rng, n_boxes, xhi_bounds) for _ in redshifts]
    middle = sorted(redshifts)[len(redshifts) // 2]
    parts = []
    with progress_bar(n_boxes * len(redshifts), "eor boxes", enabled=progress) as bar:
        for i, box_seed in enumerate(box_seeds):
            density = DensityBox(int(box_seed), config)
            if history == "physical":
                box_zeta = zeta_for_xhi(density, float(targets[0][i]), middle, tol=tol)
            for iz, z in enumerate(redshifts):
                if history == "physical":
                    zeta = box_zeta
                else:
                    zeta = zeta_for_xhi(density, float(targets[iz][i]), z, tol=tol)
                snap = density.snapshot(z, zeta)
                parts.append(
                    snapshot_part(snap, (slices_per_box, image_size, resize), first_box_id + i, iz)
                )
                bar.update()
    return _dataset(parts, "builtin")


def simfast21_shard(
    run_dirs: Sequence[str | os.PathLike],
    *,
    first_box_id: int = 0,
    redshifts: Sequence[float] | None = None,
    slices_per_box: int = 8,
    image_size: int | None = None,
    resize: str = "block_mean",
    progress: bool = False,
) -> Dataset:
    """Maps from SimFast21 run directories, one box id per run (from ``first_box_id``).

    ``redshifts`` (default: each run's own list) must exist in every run. SimFast21 has no zeta
    (NaN); ``seed`` and ``fesc`` come from the run's ``simfast21.ini`` (-1 / NaN without one),
    ``sfrd`` (mean SFR density) from its text summaries (NaN when absent).
    """
    runs = [open_run(path, redshifts=redshifts) for path in run_dirs]
    parts = []
    with progress_bar(sum(len(r.redshifts) for r in runs), "simfast21", enabled=progress) as bar:
        for i, run in enumerate(runs):
            sfrd = run.summaries()["sfrd_av"]
            for iz, z in enumerate(run.redshifts):
                xhi = run.xhi(z)
                part = _box_part(
                    run.tb_mk(z),
                    xhi,
                    (slices_per_box, image_size, resize),
                    first_box_id + i,
                    iz * slices_per_box,
                    xHI_box=xhi.mean(),
                    redshift=float(z),
                    zeta=np.nan,
                    seed=run.seed,
                    fesc=run.param("fesc"),
                    sfrd=sfrd[z],
                )
                parts.append(part)
                bar.update()
    return _dataset(parts, "simfast21")


def pickle_shard(
    path: str | os.PathLike,
    *,
    shard_index: int = 0,
    n_shards: int = 1,
    image_size: int | None = None,
    scale_to_mk: float = 1.0,
    box_column: str | None = None,
) -> Dataset:
    """Maps of part ``shard_index`` (of ``n_shards`` contiguous parts) of a pickled map table.

    The table's ``xHI`` is the label and also ``meta/xHI_box`` (a table holds one xHI per map).
    Maps are multiplied by ``scale_to_mk`` (the reference's ``df_recode.gzip`` does not state its
    unit). ``meta/box_id`` comes from the column ``box_column`` (config
    ``eor21cm.pickle.box_column``; an error names the file and column when it is missing); when
    ``box_column`` is None the shard has no ``box_id`` (nothing is guessed), so it cannot be
    split with ``group_by: box_id``. ``sample_id`` is the row's position in the table. A
    ``zeta`` column fills ``meta/zeta`` (else NaN); other numeric columns are kept under their own
    names unless they clash with a standard meta key.
    """
    if not 0 <= shard_index < n_shards:
        raise ValueError(f"shard_index {shard_index} not in [0, {n_shards})")
    table = read_eor_pickle(path, box_column=box_column)
    span = even_spans(len(table.xhi), n_shards)[shard_index]
    rows = np.arange(span.first, span.stop)
    maps = table.maps[rows].astype(np.float64) * scale_to_mk
    if image_size is not None:
        maps = block_mean(maps, image_size)
    n = len(rows)
    meta = {
        "xHI_box": table.xhi[rows],
        "redshift": table.redshift[rows],
        **({} if table.box_id is None else {"box_id": table.box_id[rows]}),
        "slice_index": np.full(n, -1),
        "zeta": table.columns.get("zeta", np.full(len(table.xhi), np.nan))[rows],
        "seed": np.full(n, -1),
        "sample_id": rows,
        **{k: v[rows] for k, v in table.columns.items() if k not in META_KEYS},
    }
    return _dataset([(maps.astype(np.float32), table.xhi[rows], meta)], "pickle")


def with_targets(ds: Dataset, targets: Sequence[str]) -> Dataset:
    """``ds`` regressing ``targets``: ``xHI`` (the map's label) and any numeric ``meta/`` column.

    The built-in boxes carry ``zeta``; 21cmFAST boxes ``F_STAR10``, ``F_ESC10`` and ``M_TURN``;
    a pickled table every other numeric column. ``y`` becomes ``(N, len(targets))`` float32 in
    that order. Raises ``ValueError`` naming ``eor21cm.targets`` and the columns there are.
    """
    if not targets:
        raise ValueError("eor21cm.targets: name at least one target")
    columns = []
    for name in targets:
        if name == "xHI":
            columns.append(ds.y[:, 0])
            continue
        values = ds.meta.get(name)
        if values is None or not np.issubdtype(values.dtype, np.number) or values.ndim != 1:
            known = sorted(k for k, v in ds.meta.items() if np.issubdtype(v.dtype, np.number))
            raise ValueError(
                f"eor21cm.targets: {name!r} is not a numeric column of these maps; "
                f"choose xHI or one of {known}"
            )
        if not np.isfinite(values).all():
            raise ValueError(f"eor21cm.targets: {name!r} is not known for every map (NaN)")
        columns.append(values)
    ds.y = np.column_stack(columns).astype(np.float32)
    units = dict(zip(["xHI"], ds.attrs.get("units", [""]), strict=False))
    ds.attrs = {
        **ds.attrs,
        "target_names": list(targets),
        "units": [units.get(name, "") for name in targets],
    }
    return ds
