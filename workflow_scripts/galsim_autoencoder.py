"""Entry point of rule `galsim_autoencoder`.

Runs `sim2model.studies.galsim.autoencoder_stage.galsim_autoencoder`.
"""

from sim2model.runtime import run_job
from sim2model.studies.galsim.autoencoder_stage import galsim_autoencoder

run_job(snakemake, galsim_autoencoder)  # noqa: F821
