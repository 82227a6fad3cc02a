"""The results layout (sim2model.layout): the paths docs/architecture.md documents, spelled once."""

from __future__ import annotations

from sim2model.layout import StudyPaths

PATHS = StudyPaths("galsim")


def test_generic_paths_follow_the_documented_layout():
    assert PATHS.shard("v1", "0003") == "results/galsim/shards/v1/0003.h5"
    assert PATHS.dataset("v1") == [
        "results/galsim/dataset/v1/train.h5",
        "results/galsim/dataset/v1/val.h5",
        "results/galsim/dataset/v1/test.h5",
        "results/galsim/dataset/v1/norm.json",
    ]
    assert PATHS.testset("snr30") == "results/galsim/testsets/snr30.h5"
    assert PATHS.model("v2", "xception") == "results/galsim/models/v2/xception/model.keras"
    assert PATHS.predictions("v2", "xception", "snr60") == (
        "results/galsim/eval/v2/xception/snr60/predictions.h5"
    )
    assert PATHS.tables("rmse") == [
        "results/galsim/tables/rmse.csv",
        "results/galsim/tables/rmse.md",
    ]
    assert PATHS.generated_table("transport", "ddim", "md") == (
        "results/galsim/tables/generated/transport/ddim.md"
    )
    assert PATHS.search("xception", "best.yaml") == "results/galsim/search/xception/best.yaml"
    assert PATHS.manifest() == "results/galsim/MANIFEST.sha256"


def test_an_evaluation_reads_the_test_split_or_a_merged_test_set():
    assert PATHS.evaluation_data("v1", "test") == "results/galsim/dataset/v1/test.h5"
    assert PATHS.evaluation_data("v1", "snr30") == "results/galsim/testsets/snr30.h5"


def test_wildcards_give_the_rules_patterns():
    pattern = StudyPaths("{study}")
    assert pattern.split("{variant}", "norm") == "results/{study}/dataset/{variant}/norm.json"
    assert pattern.run_figures("{variant}", "{model}", "classification") == [
        "results/{study}/figures/{variant}/{model}/confusion_matrix.png"
    ]
