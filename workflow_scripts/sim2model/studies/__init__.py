"""The studies the workflow knows: one module each, registered here by name.

To add a study, write ``sim2model/studies/<name>.py`` with a :class:`~sim2model.studies.base.Study`
subclass and add it to :data:`STUDIES` (see docs/adding_a_study.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim2model.studies.base import ConfigError, Study
from sim2model.studies.crsphere import CRSphereStudy
from sim2model.studies.eor21cm import Eor21cmStudy
from sim2model.studies.galaxy10 import Galaxy10Study
from sim2model.studies.galsim import GalsimStudy
from sim2model.studies.schema import check_schema
from sim2model.studies.turbulence import TurbulenceStudy

#: Study name (its config section and results folder) -> class.
STUDIES: dict[str, type[Study]] = {
    study.name: study
    for study in (GalsimStudy, Eor21cmStudy, TurbulenceStudy, CRSphereStudy, Galaxy10Study)
}


def study_class(name: str) -> type[Study]:
    """The registered study ``name``."""
    try:
        return STUDIES[name]
    except KeyError:
        raise ConfigError("studies", f"unknown study {name!r}; known: {sorted(STUDIES)}") from None


#: Top-level config keys that are not study sections.
CORE_KEYS = ("seed", "studies", "train", "dataset")


def load_studies(config: Mapping[str, Any]) -> dict[str, Study]:
    """The studies listed in ``config['studies']``, each with its settings checked.

    A study runs if and only if it is listed; the sections of unlisted studies are ignored.
    Raises :class:`ConfigError` naming the first setting that cannot work.
    """
    unknown = [key for key in config if key not in CORE_KEYS and key not in STUDIES]
    if unknown:
        raise ConfigError(
            unknown[0],
            f"unknown top-level key; the keys are {list(CORE_KEYS)} and the study sections "
            f"{sorted(STUDIES)}",
        )
    studies = {}
    for name in config["studies"]:
        cls = study_class(name)
        if name not in config:
            raise ConfigError(name, f"study {name!r} is listed in `studies` but has no section")
        if cls.settings_schema is not None:
            check_schema(config[name], cls.settings_schema, prefix=name)
        study = cls(config)
        study.check()
        studies[name] = study
    return studies
