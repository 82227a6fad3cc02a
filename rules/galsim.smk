"""GalSim galaxy-parameter study (reference notebook 002): Cramér–Rao bound, MLE baseline, tables."""


rule galsim_crb:
    output:
        table=f"{RESULTS}/galsim/eval/crb.csv",
    log:
        "logs/galsim_crb/crb.log",
    conda:
        "../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        recipes={name: GALSIM.recipe(name) for name in GALSIM.testsets()},
    script:
        "../workflow_scripts/galsim_crb.py"


rule galsim_baseline:
    input:
        data=f"{RESULTS}/galsim/testsets/{{testset}}.h5",
    output:
        fits=f"{RESULTS}/galsim/eval/baseline/{{testset}}.csv",
    log:
        "logs/galsim_baseline/{testset}.log",
    conda:
        "../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        recipe=lambda wc: GALSIM.recipe(wc.testset),
        n_fits=GALSIM.settings["baseline_fits"],
    script:
        "../workflow_scripts/galsim_baseline.py"


# (variant, model, evalset) of each evaluation the tables read, and the test sets of the
# baseline fits: the rule builds its inputs and its params from these lists, in this order.
GALSIM_RMSE_RUNS = [
    (variant, model, "test")
    for variant in GALSIM.variants()
    for model in GALSIM.variant_models(variant)
]
GALSIM_TESTSET_RUNS = [
    (GALSIM.settings["testsets"]["model_variant"], model, testset)
    for model in GALSIM.variant_models(GALSIM.settings["testsets"]["model_variant"])
    for testset in GALSIM.testsets()
]
GALSIM_BASELINE_SETS = GALSIM.testsets()


# (variant, model) of every regression run whose test-split predictions are re-rendered; the
# figure shows the first Xception-like run of the test-set variant (else the first run).
GALSIM_RECONSTRUCTION_RUNS = GALSIM.runs()
GALSIM_FIGURE_RUN = next(
    (
        i
        for i, (variant, model) in enumerate(GALSIM_RECONSTRUCTION_RUNS)
        if variant == GALSIM.settings["testsets"]["model_variant"]
        and model not in GALSIM.autoencoder_models()
    ),
    0,
)


rule galsim_reconstruction:
    input:
        predictions=[
            galsim_eval(variant, model, "test", "predictions.h5")
            for variant, model in GALSIM_RECONSTRUCTION_RUNS
        ],
        data=[
            f"{RESULTS}/galsim/dataset/{variant}/test.h5"
            for variant, _ in GALSIM_RECONSTRUCTION_RUNS
        ],
    output:
        table_csv=f"{RESULTS}/galsim/tables/reconstruction.csv",
        table_md=f"{RESULTS}/galsim/tables/reconstruction.md",
        figure=report(
            f"{RESULTS}/galsim/figures/reconstruction.png",
            caption="../report/galsim_reconstruction.rst",
            category="galsim",
            subcategory="Reconstruction",
        ),
    log:
        "logs/galsim_reconstruction/reconstruction.log",
    conda:
        "../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        runs=GALSIM_RECONSTRUCTION_RUNS,
        recipes={variant: GALSIM.recipe(variant) for variant in GALSIM.variants()},
        figure_run=GALSIM_FIGURE_RUN,
        n_images=GALSIM.settings.get("reconstruction_images", 16),
        pixel_scale=GALSIM.settings["pixel_scale"],
        caption=GALSIM.describe(),
    script:
        "../workflow_scripts/galsim_reconstruction.py"


rule galsim_denoise:
    input:
        denoiser_data=f"{RESULTS}/galsim/testsets/{GALSIM_DENOISER_SET}.h5",
        train=f"{RESULTS}/galsim/dataset/{GALSIM_DENOISE_VARIANT}/train.h5",
        val=f"{RESULTS}/galsim/dataset/{GALSIM_DENOISE_VARIANT}/val.h5",
        test=f"{RESULTS}/galsim/dataset/{GALSIM_DENOISE_VARIANT}/test.h5",
        norm=f"{RESULTS}/galsim/dataset/{GALSIM_DENOISE_VARIANT}/norm.json",
    output:
        denoiser=galsim_denoise_out("{denoiser}", "denoiser/model.keras"),
        denoiser_history=galsim_denoise_out("{denoiser}", "denoiser/history.csv"),
        regressor=galsim_denoise_out("{denoiser}", "regressor/model.keras"),
        regressor_history=galsim_denoise_out("{denoiser}", "regressor/history.csv"),
        predictions=galsim_denoise_out("{denoiser}", "predictions.h5"),
        metrics=galsim_denoise_out("{denoiser}", "metrics.json"),
        figure=report(
            f"{RESULTS}/galsim/figures/denoise_{{denoiser}}.png",
            caption="../report/galsim_denoise.rst",
            category="galsim",
            subcategory="Denoise then regress",
        ),
    log:
        "logs/galsim_denoise/{denoiser}.log",
    wildcard_constraints:
        denoiser=alternatives(GALSIM.denoisers()),
    conda:
        "../envs/tf.yaml"
    threads: training_threads("galsim")
    resources:
        mem_mb=8000,
        runtime=720,
        cpus_per_task=training_threads("galsim"),
        gpu=gpu_resources("galsim"),
    params:
        denoiser_config=lambda wc: GALSIM.settings["denoisers"]["models"][wc.denoiser],
        regressor_config=lambda wc: {
            key: value
            for key, value in GALSIM.models()[
                GALSIM.settings["denoisers"]["regressor"]
            ].items()
            if key != "variants"
        },
        train_config=train_config("galsim"),
        seed=lambda wc: study_seed("galsim", "denoise", wc.denoiser, bits=32),
        pixel_scale=GALSIM.settings["pixel_scale"],
        threads=lambda wc, threads: threads,
        caption=GALSIM.describe(),
    script:
        "../workflow_scripts/galsim_denoise.py"


rule galsim_tables:
    input:
        rmse=[galsim_eval(*run, "metrics.json") for run in GALSIM_RMSE_RUNS],
        testsets=[galsim_eval(*run, "predictions.h5") for run in GALSIM_TESTSET_RUNS],
        baseline=[
            f"{RESULTS}/galsim/eval/baseline/{testset}.csv"
            for testset in GALSIM_BASELINE_SETS
        ],
        crb=rules.galsim_crb.output.table,
        denoise=[galsim_denoise_out(d, "metrics.json") for d in GALSIM.denoisers()],
    output:
        rmse_csv=f"{RESULTS}/galsim/tables/rmse.csv",
        rmse_md=f"{RESULTS}/galsim/tables/rmse.md",
        crb_csv=f"{RESULTS}/galsim/tables/crb_comparison.csv",
        crb_md=f"{RESULTS}/galsim/tables/crb_comparison.md",
        denoise_csv=f"{RESULTS}/galsim/tables/denoisers.csv",
        denoise_md=f"{RESULTS}/galsim/tables/denoisers.md",
        crb_figure=report(
            f"{RESULTS}/galsim/figures/crb_comparison.png",
            caption="../report/galsim_crb.rst",
            category="galsim",
            subcategory="Cramér–Rao comparison",
        ),
    log:
        "logs/galsim_tables/tables.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=GALSIM.describe(),
        rmse_runs=GALSIM_RMSE_RUNS,
        testset_runs=GALSIM_TESTSET_RUNS,
        baseline_sets=GALSIM_BASELINE_SETS,
        denoise_runs=[
            (
                GALSIM_DENOISE_VARIANT,
                denoiser,
                GALSIM.settings["denoisers"]["regressor"],
            )
            for denoiser in GALSIM.denoisers()
        ],
    script:
        "../workflow_scripts/galsim_tables.py"


rule galsim_stamps:
    input:
        data=[
            f"{RESULTS}/galsim/dataset/{variant}/test.h5"
            for variant in GALSIM.variants()
        ],
    output:
        figure=report(
            f"{RESULTS}/galsim/figures/example_stamps.png",
            caption="../report/galsim_stamps.rst",
            category="galsim",
            subcategory="Data",
        ),
    log:
        "logs/galsim_stamps/stamps.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=GALSIM.describe(),
        variants=GALSIM.variants(),
        pixel_scale=GALSIM.settings["pixel_scale"],
    script:
        "../workflow_scripts/galsim_stamps.py"


# The conditional autoencoder's three-step training replaces the generic train rule for it.
ruleorder: galsim_autoencoder > train


rule galsim_autoencoder:
    input:
        train=f"{RESULTS}/galsim/dataset/{{variant}}/train.h5",
        val=f"{RESULTS}/galsim/dataset/{{variant}}/val.h5",
        test=f"{RESULTS}/galsim/dataset/{{variant}}/test.h5",
        norm=f"{RESULTS}/galsim/dataset/{{variant}}/norm.json",
    output:
        model=f"{RESULTS}/galsim/models/{{variant}}/{{model}}/model.keras",
        decoder=f"{RESULTS}/galsim/models/{{variant}}/{{model}}/decoder.keras",
        history=f"{RESULTS}/galsim/models/{{variant}}/{{model}}/history.csv",
        figure=report(
            f"{RESULTS}/galsim/figures/{{variant}}/{{model}}/reconstructions.png",
            caption="../report/galsim_autoencoder.rst",
            category="galsim",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/galsim_autoencoder/{variant}/{model}.log",
    wildcard_constraints:
        model=alternatives(GALSIM.autoencoder_models()),
    conda:
        "../envs/tf.yaml"
    threads: training_threads("galsim")
    resources:
        mem_mb=8000,
        runtime=720,
        cpus_per_task=training_threads("galsim"),
        gpu=gpu_resources("galsim"),
    params:
        model_config=lambda wc: GALSIM.models()[wc.model],
        train_config=train_config("galsim"),
        seed=lambda wc: study_seed("galsim", "train", wc.variant, wc.model, bits=32),
        pixel_scale=GALSIM.settings["pixel_scale"],
        threads=lambda wc, threads: threads,
        caption=GALSIM.describe(),
    script:
        "../workflow_scripts/galsim_autoencoder.py"
