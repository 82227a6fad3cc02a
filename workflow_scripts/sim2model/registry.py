"""The studies the workflow knows: one module each, registered here by name.

To add a study, write ``sim2model/studies/<name>.py`` with a :class:`~sim2model.study.Study`
subclass and add it to :data:`STUDY_CLASSES` (see docs/adding_a_study.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim2model.errors import ConfigError
from sim2model.schema import check_schema
from sim2model.studies.crsphere.study import CRSphereStudy
from sim2model.studies.eor21cm.study import Eor21cmStudy
from sim2model.studies.galaxy10.study import Galaxy10Study
from sim2model.studies.galsim.study import GalsimStudy
from sim2model.studies.turbulence.study import TurbulenceStudy
from sim2model.study import Study

#: Study name (its config section and results folder) -> class.
STUDY_CLASSES: dict[str, type[Study]] = {
    study.name: study
    for study in (GalsimStudy, Eor21cmStudy, TurbulenceStudy, CRSphereStudy, Galaxy10Study)
}


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
        if cls.settings_schema is not None:
            check_schema(config[name], cls.settings_schema, prefix=name)
        study = cls(config)
        study.check()
        studies[name] = study
    return studies
