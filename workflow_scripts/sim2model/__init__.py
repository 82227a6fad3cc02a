"""sim2model: the importable library behind the sim2model Snakemake workflow.

Each module does one job (read a simulator format, write the dataset contract, split with
buffers, build a model, ...) and knows nothing of Snakemake; the thin entry scripts in
``workflow_scripts/*.py`` connect them to rules.
"""

__version__ = "0.1.0"
