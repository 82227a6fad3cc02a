"""Names of the crsphere study: its targets, classes, units and fixed paths (standard library only).

Every other module of the study imports them from here, so this module imports nothing of the
workflow's own.
"""

from __future__ import annotations

#: Class ids 0, 1 of a sky.
CLASS_NAMES = ("isotropic", "signal")
#: Features of every event: the arrival direction's unit vector and the log energy.
FEATURE_NAMES = ("x", "y", "z", "log10_E_over_Emin")
