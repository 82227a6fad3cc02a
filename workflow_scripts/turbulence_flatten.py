"""Entry point of rule `turbulence_flatten`.

Runs `sim2model.studies.turbulence.cubes.turbulence_flatten`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.cubes import turbulence_flatten

run_job(snakemake, turbulence_flatten)  # noqa: F821
