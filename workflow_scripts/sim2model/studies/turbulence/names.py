"""Names of the turbulence study: its targets, classes, units and fixed paths (standard library
only).

Every other module of the study imports them from here, so this module imports nothing of the
workflow's own.
"""

from __future__ import annotations

#: Name of the derived variant with flattened power spectra.
FLATTENED = "flattened"

#: The reference (the repository README of Bustard & Wu 2024) quotes no test accuracy: its
#: "Training" section says only that it tracks accuracy, precision and recall.
REFERENCE_ACCURACY_WHERE = "not stated: 'Training' tracks accuracy, precision, recall, no value"
