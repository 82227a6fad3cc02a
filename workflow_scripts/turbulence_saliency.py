"""Entry point of rule `turbulence_saliency`.

Runs `sim2model.studies.turbulence.interpretation.turbulence_saliency`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.interpretation import turbulence_saliency

run_job(snakemake, turbulence_saliency)  # noqa: F821
