"""Names of the EoR 21cm study: its targets, classes, units and fixed paths (standard library only).

Every other module of the study imports them from here, so this module imports nothing of the
workflow's own.
"""

from __future__ import annotations

#: The regression target of every map (the mass-weighted neutral fraction of its box) and unit.
TARGET_NAMES = ("xHI",)
TARGET_UNITS = ("",)
#: meta/ keys every EoR shard carries (groups for balancing and group splits).
GROUP_KEYS = ("redshift", "box_id")
#: Suffix of the variant holding the same maps split at random by map (``compare_random_split``).
RANDOM_SPLIT = "_random_split"
#: The reference notebook's pandas pickle of 21cm maps (gzip): ``source: pickle`` without a
#: local ``pickle.path`` downloads it from Google Drive, where the notebook fetches it (no
#: published checksum: the first download records one).
PICKLE_FILE = "df_recode.gzip"
PICKLE_URLS = ("gdrive:17nmV0nSkDauSnHnm78xuUDUrCR8p2ldp",)

#: What the reference notebook expects of the test R^2 of its label xHI ("Analysing Results":
#: "we expect a R2 score ~ 1"); an expectation, not a number it measured.
REFERENCE_R2 = 1.0
REFERENCE_R2_WHERE = "'Analysing Results': \"we expect a R2 score ~ 1\""
