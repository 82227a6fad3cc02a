"""Entry point of rule `turbulence_cubes`.

Runs `sim2model.studies.turbulence.cubes.turbulence_cubes`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.cubes import turbulence_cubes

run_job(snakemake, turbulence_cubes)  # noqa: F821
