"""Cosmic-ray arrival directions on the sphere: isotropic skies and skies with magnetic "streets".

A sample is ``n_events`` ultra-high-energy cosmic rays, each a unit arrival vector ``(x, y, z)``
and an energy ``E`` [EeV].

* Energies follow a falling power law ``dN/dE ~ E^-gamma`` above ``e_min``, drawn by inverse-CDF
  sampling: ``E = e_min * u^(-1 / (gamma - 1))`` with ``u`` uniform on (0, 1].
* Isotropic events are normalised three-dimensional standard Gaussians (uniform on the sphere).
* A signal sample has ``n_sources`` sources at isotropic directions. A fraction
  ``signal_fraction`` of its events (rounded, shared as evenly as possible among the sources)
  comes from them: each such event leaves its source direction rotated (Rodrigues) by the
  coherent deflection ``theta = deflection / E`` along a great circle fixed per source, the
  "street" (low energies land far from the source, high energies close to it), then by a
  turbulent scatter drawn as a two-dimensional Gaussian of width ``scatter / E`` per axis in
  the tangent plane (its length is the rotation angle, its direction the rotation's). The other
  events are isotropic.

Events are returned in random order, so an event's position carries no label. The network input
replaces ``E`` by :func:`normalise_energy`, ``log10(E / e_min)``: monotone, 0 at threshold and
O(1) (its mean is ``1 / ((gamma - 1) ln 10)``, 0.26 for gamma = 2.7).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sim2model.io.dataset import Dataset
from sim2model.studies.crsphere.names import CLASS_NAMES, FEATURE_NAMES


@dataclass(frozen=True)
class CRSphereSettings:
    """Simulation settings; angles in degrees, energies in EeV."""

    n_events: int = 500
    e_min_eev: float = 40.0  # energy threshold [EeV]
    spectral_index: float = 2.7  # dN/dE ~ E^-gamma above threshold
    n_sources: int = 3  # sources per signal sample
    signal_fraction: float = 0.25  # fraction of a signal sample's events that come from sources
    deflection_deg_eev: float = 200.0  # coherent deflection [deg] = deflection / (E [EeV])
    scatter_deg_eev: float = 20.0  # turbulent scatter per axis [deg] = scatter / (E [EeV])

    def __post_init__(self) -> None:
        checks = {
            "n_events": self.n_events >= 1,
            "e_min_eev": self.e_min_eev > 0,
            "spectral_index": self.spectral_index > 1,
            "n_sources": self.n_sources >= 1,
            "signal_fraction": 0 <= self.signal_fraction <= 1,
            "deflection_deg_eev": self.deflection_deg_eev >= 0,
            "scatter_deg_eev": self.scatter_deg_eev >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{name}={getattr(self, name)!r}" for name in bad)
            raise ValueError(f"invalid crsphere settings: {values}")


@dataclass(frozen=True)
class CRSky:
    """One simulated sample with its truth.

    ``events``: ``(n_events, 4)`` float64 unit vectors and energies [EeV];
    ``source_index``: ``(n_events,)`` index into ``sources`` of each event's source, -1 when
    isotropic; ``sources``: ``(n_sources, 3)`` source directions (empty for isotropic skies).
    """

    events: np.ndarray
    source_index: np.ndarray
    sources: np.ndarray


def isotropic_directions(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` unit vectors uniform on the sphere, ``(n, 3)``."""
    v = rng.standard_normal((n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def power_law_energies(
    rng: np.random.Generator, n: int, e_min: float, spectral_index: float
) -> np.ndarray:
    """``n`` energies from ``dN/dE ~ E^-spectral_index`` above ``e_min`` (inverse CDF)."""
    u = 1.0 - rng.random(n)  # uniform on (0, 1]
    return e_min * u ** (-1.0 / (spectral_index - 1.0))


def rotate(v: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` about unit ``axis`` by ``angle`` [rad] (Rodrigues), row-wise."""
    angle = np.asarray(angle)[..., None]
    cos, sin = np.cos(angle), np.sin(angle)
    dot = np.sum(axis * v, axis=-1, keepdims=True)
    return v * cos + np.cross(axis, v) * sin + axis * dot * (1.0 - cos)


def random_perpendicular(rng: np.random.Generator, v: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to each row of unit vectors ``v``, at a uniform random angle."""
    w = rng.standard_normal(v.shape)
    w -= np.sum(w * v, axis=-1, keepdims=True) * v
    return w / np.linalg.norm(w, axis=-1, keepdims=True)


def _renormalise(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def simulate_sky(rng: np.random.Generator, signal: bool, settings: CRSphereSettings) -> CRSky:
    """Simulate one sample (see the module docstring), with each event's source."""
    s = settings
    n = s.n_events
    energy = power_law_energies(rng, n, s.e_min_eev, s.spectral_index)
    directions = isotropic_directions(rng, n)
    source_index = np.full(n, -1, dtype=np.int64)
    sources = np.empty((0, 3))
    if signal:
        sources = isotropic_directions(rng, s.n_sources)
        street_axes = random_perpendicular(rng, sources)
        n_signal = int(round(s.signal_fraction * n))
        source_index[:n_signal] = np.arange(n_signal) * s.n_sources // max(n_signal, 1)
        src = source_index[:n_signal]
        e_sig = energy[:n_signal]
        deflection = np.radians(s.deflection_deg_eev) / e_sig
        arrived = rotate(sources[src], street_axes[src], deflection)
        # A 2D Gaussian step in the tangent plane: Rayleigh length, uniform direction t; moving
        # by that length towards t is the rotation about the axis (arrived x t).
        step = np.radians(s.scatter_deg_eev) / e_sig * np.hypot(*rng.standard_normal((2, n_signal)))
        towards = random_perpendicular(rng, arrived)
        scattered = rotate(arrived, np.cross(arrived, towards), step)
        directions[:n_signal] = _renormalise(scattered)
    order = rng.permutation(n)
    events = np.column_stack([directions, energy])[order]
    return CRSky(events=events, source_index=source_index[order], sources=sources)


def simulate_sample(
    rng: np.random.Generator, signal: bool, settings: CRSphereSettings
) -> np.ndarray:
    """One sample: ``(n_events, 4)`` float64 unit vectors and energies [EeV], in random order."""
    return simulate_sky(rng, signal, settings).events


def normalise_energy(energy_eev: np.ndarray, e_min_eev: float) -> np.ndarray:
    """Network energy feature ``log10(E / e_min)``: monotone, 0 at threshold, O(1)."""
    return np.log10(np.asarray(energy_eev) / e_min_eev)


def simulate_shard(n_samples: int, seed: int, first_id: int, settings: CRSphereSettings) -> Dataset:
    """Simulate ``n_samples`` labelled samples as a contract dataset (no provenance stamp).

    ``n_samples // 2`` samples are signal (label 1), the rest isotropic (label 0), in an order
    shuffled by ``seed``; the same ``seed`` gives bit-identical arrays. ``x`` is float32
    ``(N, n_events, 4)`` = unit vector and :func:`normalise_energy`. ``meta`` holds
    ``sample_id`` (from ``first_id``), ``n_sources`` and the actual ``signal_fraction``;
    ``extra/source_index`` ``(N, n_events)`` int16 gives each event's source (-1 isotropic) and
    ``extra/source_directions`` ``(N, n_sources, 3)`` the sources (zeros for isotropic skies).
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n_samples) < n_samples // 2).astype(np.int64)
    x = np.empty((n_samples, settings.n_events, 4), dtype=np.float32)
    source_index = np.empty((n_samples, settings.n_events), dtype=np.int16)
    source_directions = np.zeros((n_samples, settings.n_sources, 3), dtype=np.float32)
    for i, label in enumerate(labels):
        sky = simulate_sky(rng, bool(label), settings)
        x[i, :, :3] = sky.events[:, :3]
        x[i, :, 3] = normalise_energy(sky.events[:, 3], settings.e_min_eev)
        source_index[i] = sky.source_index
        source_directions[i, : len(sky.sources)] = sky.sources
    n_from_sources = np.count_nonzero(source_index >= 0, axis=1)
    return Dataset(
        x=x,
        y=labels,
        meta={
            "sample_id": np.arange(first_id, first_id + n_samples, dtype=np.int64),
            "n_sources": np.where(labels == 1, settings.n_sources, 0).astype(np.int64),
            "signal_fraction": n_from_sources / settings.n_events,
        },
        extra={"source_index": source_index, "source_directions": source_directions},
        attrs={
            "class_names": list(CLASS_NAMES),
            "target_names": [],
            "feature_names": list(FEATURE_NAMES),
            **{f"sim_{k}": v for k, v in asdict(settings).items()},
        },
    )
