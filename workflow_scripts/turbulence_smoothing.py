"""Entry point of rule `turbulence_smoothing`.

Runs `sim2model.studies.turbulence.interpretation.turbulence_smoothing`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.interpretation import turbulence_smoothing

run_job(snakemake, turbulence_smoothing)  # noqa: F821
