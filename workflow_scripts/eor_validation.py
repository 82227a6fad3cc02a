"""Entry point of rule `eor_validation`: runs `sim2model.stages.eor21cm_validation`."""

from sim2model.runtime import run_job
from sim2model.stages.eor21cm_validation import eor_validation

run_job(snakemake, eor_validation)  # noqa: F821
