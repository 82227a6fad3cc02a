"""Reader for SimFast21 output directories (raw boxes and text summaries).

A run directory holds ``Ionization/xHII_z<Z>_N<N>_L<L>.dat``, ``deltaTb/deltaTb_...`` and
``delta/deltanl_...`` boxes and ``Output_text_files/``. The format facts it implements:

* ``<Z>`` is C ``%.3f`` (``z10.000``, ``z9.500``): redshifts are parsed and ordered as numbers
  (highest first, as SimFast21 writes them) and matched on their ``%.3f`` text, never by float
  equality. ``<N>`` is the box resolution (``N_smoothed``); ``<L>`` the side in Mpc (not Mpc/h).
* Boxes are headerless little-endian float32, exactly ``4 N^3`` bytes, C order:
  ``fromfile(p, '<f4').reshape(N, N, N)`` is ``[x, y, z]`` and the line of sight (the axis of
  the redshift-space distortion) is the last axis.
* ``xHII`` is the ionised fraction (neutral fraction = 1 - xHII), ``deltaTb`` is in **kelvin**
  (converted here to mK, the unit of every sim2model map), ``deltanl`` is the contrast
  rho / mean - 1.
* Text summaries are appended to on re-runs: ``zsim.txt`` is de-duplicated, and for every
  redshift the last line wins. ``x_HI_*`` has no redshift column and pairs with ``zsim.txt`` by
  line number; ``TS_av_*`` (empty unless Lya/X-rays are on) is not read.
* Parameters come from ``simfast21.ini`` in the run directory when it is there. A ``seed`` below 1
  means SimFast21 seeded from the clock, so the seed is reported as unknown (-1).

Every error is a :class:`SimFast21Error` (a ``ValueError``) naming the offending file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: box kind -> (sub-directory, file-name prefix)
BOX_KINDS = {
    "xHII": ("Ionization", "xHII"),
    "deltaTb": ("deltaTb", "deltaTb"),
    "deltanl": ("delta", "deltanl"),
}
#: plausible value range per kind, to catch byte-swapped or mislabelled files
_VALUE_RANGE = {"xHII": (0.0, 1.0), "deltaTb": (-np.inf, np.inf), "deltanl": (-1.0, np.inf)}
#: kinds needed for 21-cm maps; ``deltanl`` is only checked when read
MAP_KINDS = ("xHII", "deltaTb")
_XHII_NAME = re.compile(r"^xHII_z(\d+\.\d{3})_N(\d+)_L(\d+\.\d)\.dat$")
TEXT_DIR = "Output_text_files"


class SimFast21Error(ValueError):
    """A SimFast21 run directory or file is missing or malformed; the message names the file."""


def z_label(z: float | str) -> str:
    """A redshift as SimFast21 writes it in file names (``%.3f``)."""
    return f"{float(z):.3f}"


def _check_file(path: Path, n: int, context: str = "") -> None:
    """Raise unless ``path`` is a file of exactly ``4 n^3`` bytes."""
    if not path.is_file():
        raise SimFast21Error(f"{path}: SimFast21 box file does not exist{context}")
    size, expected = path.stat().st_size, 4 * n**3
    if size != expected:
        raise SimFast21Error(
            f"{path}: {size} bytes, expected {expected} for a {n}^3 float32 box (wrong N?)"
        )


def read_box(path: str | os.PathLike, n: int) -> np.ndarray:
    """One raw box as float32 ``[x, y, z]``; the file must hold exactly ``4 n^3`` bytes."""
    path = Path(path)
    _check_file(path, n)
    return np.fromfile(path, dtype="<f4").reshape(n, n, n).astype(np.float32, copy=False)


def _check_values(path: Path, box: np.ndarray, lo: float, hi: float) -> None:
    """Raise unless every value of ``box`` is finite and in ``[lo, hi]``."""
    bad = ~(np.isfinite(box) & (box >= lo) & (box <= hi))
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise SimFast21Error(
            f"{path}: {np.count_nonzero(bad)} values outside [{lo}, {hi}] or not finite, first "
            f"{box[index]} at [x, y, z] = {list(index)} (byte-swapped file or wrong quantity?)"
        )


def _text_rows(path: Path, n_columns: int) -> list[list[float]]:
    """Rows of a whitespace-separated numeric text file (blank lines skipped)."""
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = [float(v) for v in line.split()]
        except ValueError:
            row = []
        if len(row) != n_columns:
            raise SimFast21Error(f"{path}, line {number}: expected {n_columns} numbers: {line!r}")
        rows.append(row)
    return rows


def read_ini(path: str | os.PathLike) -> dict[str, str]:
    """``key = value`` pairs of a ``simfast21.ini`` (comments after ``#`` dropped)."""
    params = {}
    for line in Path(path).read_text().splitlines():
        key, sep, value = line.split("#", 1)[0].partition("=")
        if sep:
            params[key.strip()] = value.strip()
    return params


@dataclass(frozen=True)
class SimFast21Run:
    """One SimFast21 run directory at one resolution; open it with :func:`open_run`."""

    path: Path
    n: int
    box_mpc: float
    redshifts: tuple[str, ...]  # %.3f labels, highest redshift first
    params: dict[str, str] = field(default_factory=dict)  # from simfast21.ini, if present

    @property
    def _suffix(self) -> str:
        return f"_N{self.n}_L{self.box_mpc:.1f}"

    def box_path(self, kind: str, z: float | str) -> Path:
        """The file of box ``kind`` (a key of :data:`BOX_KINDS`) at redshift ``z``."""
        folder, prefix = BOX_KINDS[kind]
        return self.path / folder / f"{prefix}_z{z_label(z)}{self._suffix}.dat"

    def read(self, kind: str, z: float | str) -> np.ndarray:
        """Box ``kind`` at ``z`` as stored (float32 ``[x, y, z]``), its values range-checked."""
        path = self.box_path(kind, z)
        box = read_box(path, self.n)
        _check_values(path, box, *_VALUE_RANGE[kind])
        return box

    def xhi(self, z: float | str) -> np.ndarray:
        """Neutral fraction ``1 - xHII`` (float64, exact for every float32 cell)."""
        return 1.0 - self.read("xHII", z).astype(np.float64)

    def tb_mk(self, z: float | str) -> np.ndarray:
        """21-cm brightness temperature in mK (float64; the files hold kelvin)."""
        return self.read("deltaTb", z).astype(np.float64) * 1e3

    @property
    def seed(self) -> int:
        """The run's random seed, -1 when unknown (no ini, or seed < 1: seeded from the clock)."""
        seed = int(self.param("seed")) if "seed" in self.params else -1
        return seed if seed >= 1 else -1

    def param(self, name: str) -> float:
        """Numeric parameter ``name`` of ``simfast21.ini``; NaN when absent."""
        try:
            return float(self.params.get(name, "nan"))
        except ValueError as err:
            raise SimFast21Error(
                f"{self.path / 'simfast21.ini'}: {name} = {self.params[name]!r} is not a number"
            ) from err

    def summaries(self) -> pd.DataFrame:
        """Text summaries per redshift label: ``x_HI``, ``t21_av_K``, ``sfrd_av`` (NaN: absent).

        ``sfrd_av`` is the mean star-formation-rate density [Msun / (Mpc/h)^3 / yr].
        """
        text = self.path / TEXT_DIR
        table = pd.DataFrame(index=pd.Index(self.redshifts, name="redshift"), dtype=np.float64)
        for column, name in (("t21_av_K", "t21_av"), ("sfrd_av", "sfrd_av")):
            path = text / f"{name}{self._suffix}.dat"
            rows = _text_rows(path, 2) if path.is_file() else []
            values = {z_label(z): v for z, v in rows}  # on re-runs the last line wins
            table[column] = [values.get(z, np.nan) for z in self.redshifts]
        xhi_path, zsim = text / f"x_HI{self._suffix}.dat", text / "zsim.txt"
        values = {}
        if xhi_path.is_file() and zsim.is_file():
            zs, xs = _text_rows(zsim, 1), _text_rows(xhi_path, 1)
            if len(zs) != len(xs):
                raise SimFast21Error(
                    f"{xhi_path}: {len(xs)} lines but {zsim} has {len(zs)}; they pair by line"
                )
            values = {z_label(z): x for (z,), (x,) in zip(zs, xs, strict=True)}
        table["x_HI"] = [values.get(z, np.nan) for z in self.redshifts]
        return table


def _resolutions(path: Path) -> dict[tuple[int, str], list[str]]:
    """(N, L text) -> redshift labels of the xHII files in ``path/Ionization``."""
    found: dict[tuple[int, str], list[str]] = {}
    folder = path / BOX_KINDS["xHII"][0]
    for name in sorted(os.listdir(folder)) if folder.is_dir() else ():
        match = _XHII_NAME.match(name)
        if match:
            found.setdefault((int(match[2]), match[3]), []).append(match[1])
    return found


def open_run(
    path: str | os.PathLike,
    *,
    n: int | None = None,
    redshifts: Sequence[float] | None = None,
) -> SimFast21Run:
    """Open and validate a run directory.

    The redshifts are ``redshifts`` when given, else those of ``Output_text_files/zsim.txt``,
    else those of the xHII file names. Every listed redshift must have ``xHII`` and ``deltaTb``
    boxes of the right size. ``n`` picks the resolution when the directory holds several.
    """
    path = Path(path)
    if not path.is_dir():
        raise SimFast21Error(f"{path}: SimFast21 run directory does not exist")
    found = _resolutions(path)
    if n is not None:
        found = {key: zs for key, zs in found.items() if key[0] == n}
    if len(found) != 1:
        what = "no" if not found else f"several ({sorted(found)})"
        raise SimFast21Error(
            f"{path / BOX_KINDS['xHII'][0]}: {what} xHII_z<Z>_N<N>_L<L>.dat resolutions"
            + (f" with N={n}" if n is not None else "")
        )
    ((box_n, box_l), file_zs), *_ = found.items()
    zsim = path / TEXT_DIR / "zsim.txt"
    if redshifts is not None:
        labels = [z_label(z) for z in redshifts]
    elif zsim.is_file():
        labels = [z_label(z) for (z,) in _text_rows(zsim, 1)]
    else:
        labels = file_zs
    ini = path / "simfast21.ini"
    run = SimFast21Run(
        path=path,
        n=box_n,
        box_mpc=float(box_l),
        redshifts=tuple(sorted(set(labels), key=float, reverse=True)),
        params=read_ini(ini) if ini.is_file() else {},
    )
    for z in run.redshifts:
        for kind in MAP_KINDS:
            _check_file(run.box_path(kind, z), box_n, f" ({kind} box of listed redshift {z})")
    return run
