"""Names of the galaxy10 study: its targets, classes, units and fixed paths (standard library only).

Every other module of the study imports them from here, so this module imports nothing of the
workflow's own.
"""

from __future__ import annotations

#: Morphology classes (ids 0..4), the reference notebook's Galaxy10 classes 0, 1, 2, 4 and 7.
CLASS_NAMES = ("disk_face_on", "smooth_round", "smooth_in_between", "disk_edge_on", "spiral_tight")
#: The reference notebook's goal: "at least 66% accuracy" on its test set.
ACCURACY_GOAL = 0.66
#: Where ``source: h5`` without a local ``h5.path`` downloads the public file (outside results/,
#: so cleaning results keeps it), and where the SHA-256 of its first download is recorded.
DOWNLOAD_PATH = "downloads/galaxy10/Galaxy10.h5"
DOWNLOAD_RECORD = DOWNLOAD_PATH + ".sha256"
#: Mirrors of the public Galaxy10 SDSS file (21,785 69x69 gri images), tried in order: its
#: Zenodo record, then the astroNN mirrors at the University of Toronto.
GALAXY10_URLS = (
    "https://zenodo.org/records/10844811/files/Galaxy10.h5",
    "https://astro.utoronto.ca/~hleung/shared/Galaxy10/Galaxy10.h5",
    "http://astro.utoronto.ca/~bovy/Galaxy10/Galaxy10.h5",
)
#: The file's SHA-256 as astroNN publishes it (astroNN.datasets.galaxy10sdss).
GALAXY10_SHA256 = "969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af"
