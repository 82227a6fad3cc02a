"""Entry point of rule `turbulence_smoothing`.

Runs `sim2model.stages.turbulence_interpret.turbulence_smoothing`.
"""

from sim2model.runtime import run_job
from sim2model.stages.turbulence_interpret import turbulence_smoothing

run_job(snakemake, turbulence_smoothing)  # noqa: F821
