"""The studies the workflow knows: one package each under ``sim2model/studies/``, found here.

A study is the package ``sim2model/studies/<name>/`` whose ``study.py`` defines the
:class:`~sim2model.study.Study` subclass with ``name = "<name>"``; dropping such a package in
registers it (see docs/adding_a_study.md). This is the only library module that imports the
study packages.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping
from typing import Any

import sim2model.studies
from sim2model.errors import ConfigError
from sim2model.study import Study


def discover_studies() -> dict[str, type[Study]]:
    """Study name -> class, for every package of ``sim2model.studies`` (in name order)."""
    found = {}
    for package in sorted(pkgutil.iter_modules(sim2model.studies.__path__), key=lambda p: p.name):
        if not package.ispkg:
            continue
        module = importlib.import_module(f"sim2model.studies.{package.name}.study")
        classes = [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Study) and getattr(cls, "name", None) == package.name
        ]
        if len(classes) != 1:
            raise ImportError(
                f"{module.__file__}: expected one Study subclass with name = {package.name!r}, "
                f"found {len(classes)}"
            )
        found[package.name] = classes[0]
    return found


#: Study name (its config section and results folder) -> class.
STUDY_CLASSES: dict[str, type[Study]] = discover_studies()


def study_class(name: str) -> type[Study]:
    """The registered study ``name``."""
    try:
        return STUDY_CLASSES[name]
    except KeyError:
        raise ConfigError(
            "studies", f"unknown study {name!r}; known: {sorted(STUDY_CLASSES)}"
        ) from None


#: Top-level config keys that are not study sections.
CORE_KEYS = ("seed", "studies", "train", "dataset")


def load_studies(config: Mapping[str, Any]) -> dict[str, Study]:
    """The studies listed in ``config['studies']``, each with its settings checked.

    A study runs if and only if it is listed; the sections of unlisted studies are ignored.
    Raises :class:`ConfigError` naming the first setting that cannot work.
    """
    unknown = [key for key in config if key not in CORE_KEYS and key not in STUDY_CLASSES]
    if unknown:
        raise ConfigError(
            unknown[0],
            f"unknown top-level key; the keys are {list(CORE_KEYS)} and the study sections "
            f"{sorted(STUDY_CLASSES)}",
        )
    studies = {}
    for name in config["studies"]:
        cls = study_class(name)
        if name not in config:
            raise ConfigError(name, f"study {name!r} is listed in `studies` but has no section")
        study = cls(config)
        study.check()
        studies[name] = study
    return studies
