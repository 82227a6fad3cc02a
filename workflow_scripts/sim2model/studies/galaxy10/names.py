"""Names of the galaxy10 study: its targets, classes, units and fixed paths (standard library only).

Every other module of the study imports them from here, so this module imports nothing of the
workflow's own.
"""

from __future__ import annotations

#: Morphology classes (ids 0..4), the reference notebook's Galaxy10 classes 0, 1, 2, 4 and 7.
CLASS_NAMES = ("disk_face_on", "smooth_round", "smooth_in_between", "disk_edge_on", "spiral_tight")
#: The reference notebook's goal: "at least 66% accuracy" on its test set.
ACCURACY_GOAL = 0.66
#: Where the notebook states it (its section and sentence).
ACCURACY_GOAL_WHERE = (
    "'Exercise 1: Machine Learning on Galaxies': \"Our goal is to be at least 66% accuracy\""
)
#: The public Galaxy10 SDSS file: ``source: h5`` without a local ``h5.path`` downloads it to
#: downloads/galaxy10/Galaxy10.h5 (rule download_reference).
GALAXY10_FILE = "Galaxy10.h5"
#: Mirrors of the public Galaxy10 SDSS file (21,785 69x69 gri images), tried in order: its
#: Zenodo record, then the astroNN mirrors at the University of Toronto.
GALAXY10_URLS = (
    "https://zenodo.org/records/10844811/files/Galaxy10.h5",
    "https://astro.utoronto.ca/~hleung/shared/Galaxy10/Galaxy10.h5",
    "http://astro.utoronto.ca/~bovy/Galaxy10/Galaxy10.h5",
)
#: The file's SHA-256 as astroNN publishes it (astroNN.datasets.galaxy10sdss).
GALAXY10_SHA256 = "969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af"
#: The reference notebook's pickle (g band, classes 0, 1, 2, 4, 7, its own train/test split):
#: ``source: pickle`` without a local ``pickle.path`` downloads it from the course page the
#: notebook fetches it from (84,647,509 bytes; no published checksum: the first download
#: records one).
PICKLE_FILE = "dataG.pkl.gz"
PICKLE_URLS = ("https://courses.physics.illinois.edu/phys246/fa2020/code/dataG.pkl.gz",)
