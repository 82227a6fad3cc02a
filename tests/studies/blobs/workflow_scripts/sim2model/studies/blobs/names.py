"""Names of the blobs study: its classes (standard library only)."""

#: Class ids 0, 1 of a blob.
CLASS_NAMES = ("round", "elongated")
