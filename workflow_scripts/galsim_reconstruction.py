"""Entry point of rule `galsim_reconstruction`.

Runs `sim2model.studies.galsim.evaluation.galsim_reconstruction`.
"""

from sim2model.runtime import run_job
from sim2model.studies.galsim.evaluation import galsim_reconstruction

run_job(snakemake, galsim_reconstruction)  # noqa: F821
