"""Entry point of rule `galsim_posterior_predictive`: runs
`sim2model.studies.galsim.posterior_predictive.galsim_posterior_predictive`."""

from sim2model.runtime import run_job
from sim2model.studies.galsim.posterior_predictive import galsim_posterior_predictive

run_job(snakemake, galsim_posterior_predictive)  # noqa: F821
