"""Entry point of rule `galsim_baseline`.

Runs `sim2model.studies.galsim.evaluation.galsim_baseline`.
"""

from sim2model.runtime import run_job
from sim2model.studies.galsim.evaluation import galsim_baseline

run_job(snakemake, galsim_baseline)  # noqa: F821
