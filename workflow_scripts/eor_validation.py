"""Entry point of rule `eor_validation`: runs `sim2model.studies.eor21cm.validation_stage`."""

from sim2model.runtime import run_job
from sim2model.studies.eor21cm.validation_stage import eor_validation

run_job(snakemake, eor_validation)  # noqa: F821
