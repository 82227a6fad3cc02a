"""Names of the crsphere study: its targets, classes, units and fixed paths (standard library only).

Every other module of the study imports them from here, so this module imports nothing of the
workflow's own.
"""

from __future__ import annotations

#: Class ids 0, 1 of a sky.
CLASS_NAMES = ("isotropic", "signal")
#: Features of every event: the arrival direction's unit vector and the log energy.
FEATURE_NAMES = ("x", "y", "z", "log10_E_over_Emin")
#: The reference notebook's skies (50,000 x 500 events x (x, y, z, E), and labels):
#: ``source: npz`` without a local ``npz.path`` downloads it from Google Drive, where the
#: notebook fetches it (no published checksum: the first download records one).
NPZ_FILE = "cr_sphere.npz"
NPZ_URLS = ("gdrive:1XKN-Ik7BDyMWdQ230zWS2bNxXL3_9jZq",)

#: Test accuracy of the reference solution of the exercise, in the book the notebook comes from
#: (Erdmann et al., "Deep Learning for Physics Research"); the notebook states no accuracy.
REFERENCE_ACCURACY = 0.975
REFERENCE_ACCURACY_WHERE = "the book's reference solution (the notebook states no accuracy)"
