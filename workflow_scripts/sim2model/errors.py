"""The workflow's configuration error: a leaf module that every layer may import."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting that cannot work; ``key`` is its dotted config path."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config {key}: {message}")
        self.key = key
