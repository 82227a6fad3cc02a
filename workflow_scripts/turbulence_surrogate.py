"""Entry point of rule `turbulence_surrogate`.

Runs `sim2model.studies.turbulence.cubes.turbulence_surrogate`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.cubes import turbulence_surrogate

run_job(snakemake, turbulence_surrogate)  # noqa: F821
