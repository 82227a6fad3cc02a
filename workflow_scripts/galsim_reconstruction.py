"""Entry point of rule `galsim_reconstruction`.

Runs `sim2model.stages.galsim.galsim_reconstruction`.
"""

from sim2model.runtime import run_job
from sim2model.stages.galsim import galsim_reconstruction

run_job(snakemake, galsim_reconstruction)  # noqa: F821
