"""FITS cubes of one Athena++ variable, written and read with ``astropy.io.fits``.

A cube is the primary HDU of a FITS file holding the global ``(z, y, x)`` array exactly as read
from the ``.athdf`` file (float32 stays float32: BITPIX -32; float64 gives -64). FITS axis 1 is
x (x1), axis 2 y, axis 3 z, and a linear WCS puts pixel ``p`` (1-based) of axis ``n`` at the
cell centre ``CRVAL + (p - CRPIX) * CDELT`` with ``CRPIX = 1``, ``CRVAL = xmin + dx / 2``,
``CDELT = dx`` in code units (Athena++ code units are kept; ``UNITNOTE`` says so).

Provenance keywords: ``VARIABLE``, ``SIMTIME``, ``CYCLE``, cell sizes ``DX1..3``, the domain
``X1MIN..X3MAX``, ``COORDSYS``, ``SRCFILE`` (basename of the ``.athdf``) and ``SRCSHA`` (its
sha256), ``ORIGIN = 'sim2model'``. No ``DATE`` keyword is written and the file is written
atomically (temporary file + ``os.replace``), so identical inputs give byte-identical files.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning

from sim2model.studies.turbulence.athdf import AthdfHeader

ORIGIN = "sim2model"
_AXES = ("x1", "x2", "x3")


class FitsCubeError(ValueError):
    """A FITS file is not a readable sim2model cube; the message names the file."""


def _card(keyword: str, value: Any, comment: str) -> fits.Card:
    """A card whose comment is shortened to fit its 80 characters (dropped for long strings)."""
    image = fits.Card(keyword, value).image.rstrip()
    room = fits.Card.length - len(image) - 3
    return fits.Card(
        keyword, value, comment[:room] if len(image) <= fits.Card.length and room >= 10 else ""
    )


def _cube_header(
    variable: str, header: AthdfHeader, source_sha256: str, units_note: str
) -> fits.Header:
    """Provenance keywords and the linear WCS of a cube (FITS axis 1 = x)."""
    cards = [
        ("VARIABLE", variable, "Athena++ variable in this cube"),
        ("SIMTIME", header.time, "simulation time [code units]"),
        ("CYCLE", header.cycle, "simulation cycle (NumCycles)"),
        ("COORDSYS", header.coordinates, "Athena++ coordinate system"),
    ]
    cards += [
        (f"DX{n}", header.cell_size[n - 1], f"cell size along {axis} [code units]")
        for n, axis in enumerate(_AXES, start=1)
    ]
    for n, (lo, hi) in enumerate(header.domain, start=1):
        cards += [
            (f"X{n}MIN", lo, f"domain lower edge along x{n} [code units]"),
            (f"X{n}MAX", hi, f"domain upper edge along x{n} [code units]"),
        ]
    for n, axis in enumerate(_AXES, start=1):
        dx, lo = header.cell_size[n - 1], header.domain[n - 1][0]
        cards += [
            (f"CTYPE{n}", axis.upper(), f"FITS axis {n} is Athena++ {axis}"),
            (f"CRPIX{n}", 1.0, "reference pixel (first cell)"),
            (f"CRVAL{n}", lo + 0.5 * dx, f"{axis} at the reference cell centre"),
            (f"CDELT{n}", dx, f"{axis} step per pixel [code units]"),
        ]
    cards += [
        ("UNITNOTE", units_note, "units of the data"),
        ("SRCFILE", os.path.basename(header.path), "source .athdf file"),
        ("SRCSHA", source_sha256, "sha256 of the source file"),
        ("ORIGIN", ORIGIN, "written by"),
    ]
    return fits.Header([_card(*card) for card in cards])


def write_fits_cube(
    path: str | os.PathLike,
    data: np.ndarray,
    *,
    variable: str,
    header: AthdfHeader,
    source_sha256: str,
    units_note: str = "Athena++ code units",
) -> None:
    """Write a ``(z, y, x)`` float cube of ``variable`` from the file described by ``header``."""
    path = Path(path)
    data = np.asarray(data)
    if data.shape != header.shape_zyx:
        raise ValueError(
            f"{path}: cube of {variable!r} has shape {data.shape}, expected the mesh "
            f"(Nz, Ny, Nx) = {header.shape_zyx} of {header.path}"
        )
    if data.dtype.kind != "f":
        raise ValueError(f"{path}: cube of {variable!r} must hold floats, got {data.dtype}")
    if len(source_sha256) != 64 or any(c not in "0123456789abcdef" for c in source_sha256):
        raise ValueError(
            f"{path}: source_sha256 must be 64 lowercase hex digits: {source_sha256!r}"
        )
    hdu = fits.PrimaryHDU(
        data=data, header=_cube_header(variable, header, source_sha256, units_note)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        hdu.writeto(tmp, overwrite=True)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_fits_cube(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """The native-endian ``(z, y, x)`` array of a sim2model cube and its header as a dict."""
    try:
        with warnings.catch_warnings():  # a truncated file only warns: make it an error
            warnings.simplefilter("error", AstropyUserWarning)
            with fits.open(path, memmap=False) as hdul:
                header = dict(hdul[0].header)
                data = hdul[0].data
    except (OSError, ValueError, AstropyUserWarning) as err:
        raise FitsCubeError(f"{path}: cannot read as a FITS file: {err}") from err
    if "VARIABLE" not in header or data is None or data.ndim != 3:
        raise FitsCubeError(f"{path}: not a sim2model FITS cube (no VARIABLE keyword or 3-D data)")
    return data.astype(data.dtype.newbyteorder("="), copy=False), header
