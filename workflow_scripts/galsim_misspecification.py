"""Entry point of rule `galsim_misspecification`: runs
`sim2model.studies.galsim.misspecification.galsim_misspecification`."""

from sim2model.runtime import run_job
from sim2model.studies.galsim.misspecification import galsim_misspecification

run_job(snakemake, galsim_misspecification)  # noqa: F821
