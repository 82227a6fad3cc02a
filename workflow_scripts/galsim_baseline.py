"""Entry point of rule `galsim_baseline`: runs `sim2model.stages.galsim.baseline_fits`."""

from sim2model.runtime import run_job
from sim2model.stages.galsim import baseline_fits

run_job(snakemake, baseline_fits)  # noqa: F821
