"""Slab geometry of the turbulence cubes, checked when the config is loaded (before the DAG).

The dataset stage (:func:`sim2model.data.slabs.spatial_split`) cuts every cube into buffered
slabs of 2D samples; a cut axis, buffer, tile or projection depth that does not fit the mesh
would only fail there, after every snapshot has been converted. :func:`check_slabs` repeats its
checks on the mesh size alone: from the configured box (built-in sources) or from the header of
a user's ``.athdf`` snapshot (:func:`athdf_mesh`, which reads the file's metadata, no cell data).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim2model.errors import ConfigError

if TYPE_CHECKING:
    from sim2model.studies.turbulence.athdf import AthdfHeader

#: Cube axes (0, 1, 2) by name.
AXES = ("z", "y", "x")


@dataclass(frozen=True)
class Mesh:
    """The cells ``(Nz, Ny, Nx)`` of the cubes a variant is cut from, and where that size comes
    from (a snapshot file, or the config key of a built-in source's box)."""

    shape: tuple[int, int, int]
    origin: str

    @property
    def is_2d(self) -> bool:
        """One cell along z (Athena++ 2D runs)."""
        return self.shape[0] == 1

    def describe(self) -> str:
        """``origin: a 2D mesh of Nx x Ny cells`` or ``origin: Nx x Ny x Nz cells``."""
        nz, ny, nx = self.shape
        size = f"a 2D mesh of {nx} x {ny} cells" if self.is_2d else f"{nx} x {ny} x {nz} cells"
        return f"{self.origin}: {size}"


@functools.cache
def athdf_header(path: str) -> AthdfHeader:
    """The validated metadata of an ``.athdf`` file (attributes, block locations; no cell data),
    read once per file and process."""
    from sim2model.studies.turbulence.athdf import read_athdf_header

    return read_athdf_header(path)


def athdf_mesh(path: str, key: str) -> Mesh:
    """The mesh of the ``.athdf`` file ``path``; a file the reader refuses (missing, corrupt,
    refined mesh, ...) raises :class:`ConfigError` naming ``key`` (the setting that lists it)."""
    from sim2model.studies.turbulence.athdf import AthdfError

    try:
        header = athdf_header(path)
    except AthdfError as err:
        raise ConfigError(key, str(err)) from None
    return Mesh(tuple(int(n) for n in header.shape_zyx), path)


def athdf_variables(path: str) -> list[str]:
    """Variables the reader can give for ``path``: the stored ones and those derived from them."""
    from sim2model.studies.turbulence.athdf import DERIVED_VARIABLES

    stored = athdf_header(path).variables
    derived = [
        name
        for name, spec in DERIVED_VARIABLES.items()
        if name not in stored and all(v in stored for v in spec.inputs)
    ]
    return [*stored, *derived]


def cut_axis(mesh: Mesh, spatial: Mapping[str, Any]) -> int:
    """The axis the slabs are cut along: ``spatial['axis']``, except on a 2D mesh sampled
    automatically (``samples`` unset or ``auto``: plane tiles), where z (one cell, and the
    default axis of 3D boxes) gives way to the longer in-plane axis (x on a tie)."""
    axis = spatial["axis"]
    if mesh.is_2d and axis == 0 and spatial.get("samples") in (None, "auto"):
        _, ny, nx = mesh.shape
        return 2 if nx >= ny else 1
    return axis


def check_slabs(
    mesh: Mesh,
    spatial: Mapping[str, Any],
    fractions: Mapping[str, float],
    key: Callable[[str], str],
) -> None:
    """Raise :class:`ConfigError` (naming ``key(option)``, the dotted key of a ``spatial`` option,
    and the mesh's origin) unless ``spatial_split`` can cut cubes of ``mesh`` with the resolved
    ``spatial`` settings (its axis from :func:`cut_axis`) into ``fractions``."""
    from sim2model.data.slabs import sample_kind, slab_layout

    axis, tile = spatial["axis"], spatial.get("tile")
    projection = spatial.get("projection_depth")
    kind = sample_kind(mesh.shape, spatial.get("samples"))
    where = f" ({mesh.describe()})"
    nz, ny, nx = mesh.shape
    if kind == "plane_tiles":
        if axis == 0:
            raise ConfigError(
                key("axis"),
                "0 (z) is perpendicular to the (y, x) planes that plane tiles are cut from: "
                f"cut along 1 (y) or 2 (x){where}",
            )
        if tile is None:
            raise ConfigError(key("tile"), f"plane tiles need a tile size (cells per side){where}")
        across = ny if axis == 2 else nx
        if tile > across:
            raise ConfigError(
                key("tile"),
                f"{tile} is wider than the {across} cells of the mesh across the cut axis "
                f"{AXES[axis]}{where}",
            )
        if projection is not None and projection > nz:
            raise ConfigError(
                key("projection_depth"),
                f"{projection}: plane tiles are projected along z, which has {nz} cell(s); set "
                f"it to null{where}",
            )
    else:
        if mesh.is_2d:
            raise ConfigError(
                key("samples"),
                f"slices of a 2D mesh are one cell thick: use plane_tiles (or auto){where}",
            )
        height, width = (n for i, n in enumerate(mesh.shape) if i != axis)
        if tile is not None and tile > min(height, width):
            raise ConfigError(
                key("tile"),
                f"{tile} is larger than the {height} x {width} slices perpendicular to "
                f"{AXES[axis]}{where}",
            )
    try:
        layout = slab_layout(
            mesh.shape[axis], fractions, spatial["buffer"], spatial.get("periodic", True)
        )
    except ValueError as err:
        raise ConfigError(key("buffer"), f"along {AXES[axis]}: {err}{where}") from None
    if kind == "plane_tiles":
        for name, (start, stop) in layout.ranges.items():
            if stop > start and stop - start < tile:
                raise ConfigError(
                    key("tile"),
                    f"{tile} is deeper than the {name} slab ({stop - start} of {layout.depth} "
                    f"cells along {AXES[axis]}), and a plane tile lies inside one slab: lower "
                    f"the tile or the buffer, or raise that split's fractions entry{where}",
                )
    elif projection is not None:
        start, stop = layout.ranges["test"]
        if projection > stop - start:
            raise ConfigError(
                key("projection_depth"),
                f"{projection} is deeper than the test slab ({stop - start} of {layout.depth} "
                f"cells along {AXES[axis]}): lower it, or the buffer, or raise the test "
                f"fraction{where}",
            )
