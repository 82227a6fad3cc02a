"""Entry point of rule `source_shard`: runs `sim2model.stages.source.source_shard` with the
study's `build_shard` from the registry (so the shared stage never imports a study)."""

from functools import partial

from sim2model.registry import study_class
from sim2model.runtime import run_job
from sim2model.stages.source import source_shard

build_shard = study_class(snakemake.params.study).build_shard  # noqa: F821
run_job(snakemake, partial(source_shard, build_shard=build_shard))  # noqa: F821
