"""Entry point of rule `turbulence_saliency`.

Runs `sim2model.stages.turbulence_interpret.turbulence_saliency`.
"""

from sim2model.runtime import run_job
from sim2model.stages.turbulence_interpret import turbulence_saliency

run_job(snakemake, turbulence_saliency)  # noqa: F821
