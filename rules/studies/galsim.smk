"""GalSim galaxy-parameter study (reference notebook 002): Cramér–Rao bound, MLE baseline, tables.

Its targets, runs and paths are the study's (`GalsimStudy.targets`, `.paths`); included only when
the study is listed in `studies`.
"""

GALSIM = STUDIES["galsim"]


rule galsim_crb:
    output:
        table=GALSIM.crb_table(),
    log:
        "logs/galsim_crb/crb.log",
    conda:
        "../../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        priors=GALSIM.priors(GALSIM.testsets()),
    script:
        "../../workflow_scripts/galsim_crb.py"


rule galsim_baseline:
    input:
        data=GALSIM.paths.testset("{testset}"),
    output:
        fits=GALSIM.baseline_fits("{testset}"),
    log:
        "logs/galsim_baseline/{testset}.log",
    conda:
        "../../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        prior=lambda wc: GALSIM.prior(wc.testset),
        n_fits=GALSIM.settings["baseline_fits"],
    script:
        "../../workflow_scripts/galsim_baseline.py"


# Every regression run's test-split predictions are re-rendered; the figure shows the run
# `GalsimStudy.figure_run` picks. Inputs and params follow `GALSIM.runs()`, in order.
rule galsim_reconstruction:
    input:
        predictions=[GALSIM.paths.predictions(v, m) for v, m in GALSIM.runs()],
        data=[GALSIM.paths.split(v, "test") for v, _ in GALSIM.runs()],
    output:
        table_csv=GALSIM.paths.table("reconstruction", "csv"),
        table_md=GALSIM.paths.table("reconstruction", "md"),
        figure=report(
            GALSIM.paths.figure("reconstruction.png"),
            caption="../../report/galsim_reconstruction.rst",
            category="galsim",
            subcategory="Reconstruction",
        ),
    log:
        "logs/galsim_reconstruction/reconstruction.log",
    conda:
        "../../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        runs=GALSIM.runs(),
        priors=GALSIM.priors(GALSIM.variants()),
        figure_run=GALSIM.figure_run(),
        n_images=GALSIM.settings.get("reconstruction_images", 16),
        pixel_scale=GALSIM.settings["pixel_scale"],
        caption=GALSIM.describe(),
    script:
        "../../workflow_scripts/galsim_reconstruction.py"


rule galsim_denoise:
    input:
        **GALSIM.denoise_inputs(),
    output:
        denoiser=GALSIM.denoise_output("{denoiser}", "denoiser/model.keras"),
        denoiser_history=GALSIM.denoise_output("{denoiser}", "denoiser/history.csv"),
        regressor=GALSIM.denoise_output("{denoiser}", "regressor/model.keras"),
        regressor_history=GALSIM.denoise_output("{denoiser}", "regressor/history.csv"),
        predictions=GALSIM.denoise_output("{denoiser}", "predictions.h5"),
        metrics=GALSIM.denoise_output("{denoiser}", "metrics.json"),
        figure=report(
            GALSIM.denoise_figure("{denoiser}"),
            caption="../../report/galsim_denoise.rst",
            category="galsim",
            subcategory="Denoise then regress",
        ),
    log:
        "logs/galsim_denoise/{denoiser}.log",
    wildcard_constraints:
        denoiser=GALSIM.alternatives(GALSIM.denoisers()),
    conda:
        "../../envs/tf.yaml"
    threads: training_threads("galsim")
    resources:
        mem_mb=8000,
        runtime=720,
        cpus_per_task=training_threads("galsim"),
        gpu=gpu_resources("galsim"),
    params:
        denoiser_config=lambda wc: GALSIM.denoiser_config(wc.denoiser),
        regressor_config=GALSIM.regressor_config(),
        train_config=train_config("galsim"),
        seed=lambda wc: study_seed("galsim", "denoise", wc.denoiser, bits=32),
        pixel_scale=GALSIM.settings["pixel_scale"],
        threads=lambda wc, threads: threads,
        caption=GALSIM.describe(),
    script:
        "../../workflow_scripts/galsim_denoise.py"


# The tables read the evaluations of `GalsimStudy.rmse_runs` and `.testset_runs` and the
# baseline fits of each test set: inputs and params follow the same lists, in order.
rule galsim_tables:
    input:
        rmse=[
            GALSIM.paths.evaluation(*run, "metrics.json") for run in GALSIM.rmse_runs()
        ],
        testsets=[GALSIM.paths.predictions(*run) for run in GALSIM.testset_runs()],
        baseline=[GALSIM.baseline_fits(t) for t in GALSIM.testsets()],
        crb=rules.galsim_crb.output.table,
        denoise=[GALSIM.denoise_output(d, "metrics.json") for d in GALSIM.denoisers()],
        autoencoder=[
            GALSIM.paths.predictions(*run) for run in GALSIM.autoencoder_runs()
        ],
    output:
        rmse_csv=GALSIM.paths.table("rmse", "csv"),
        rmse_md=GALSIM.paths.table("rmse", "md"),
        crb_csv=GALSIM.paths.table("crb_comparison", "csv"),
        crb_md=GALSIM.paths.table("crb_comparison", "md"),
        denoise_csv=GALSIM.paths.table("denoisers", "csv"),
        denoise_md=GALSIM.paths.table("denoisers", "md"),
        autoencoder_csv=GALSIM.paths.table("autoencoder_metrics", "csv"),
        autoencoder_md=GALSIM.paths.table("autoencoder_metrics", "md"),
        crb_figure=report(
            GALSIM.paths.figure("crb_comparison.png"),
            caption="../../report/galsim_crb.rst",
            category="galsim",
            subcategory="Cramér–Rao comparison",
        ),
    log:
        "logs/galsim_tables/tables.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=GALSIM.describe(),
        rmse_runs=GALSIM.rmse_runs(),
        testset_runs=GALSIM.testset_runs(),
        baseline_sets=GALSIM.testsets(),
        denoise_runs=GALSIM.denoise_runs(),
        autoencoder_runs=GALSIM.autoencoder_runs(),
    script:
        "../../workflow_scripts/galsim_tables.py"


rule galsim_posterior_predictive:
    input:
        predictions=GALSIM.paths.predictions("{variant}", "{model}"),
        data=GALSIM.paths.split("{variant}", "test"),
    output:
        figure=report(
            GALSIM.posterior_predictive_figure("{variant}", "{model}"),
            caption="../../report/galsim_posterior_predictive.rst",
            category="galsim",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/galsim_posterior_predictive/{variant}/{model}.log",
    conda:
        "../../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        prior=lambda wc: GALSIM.prior(wc.variant),
        pixel_scale=GALSIM.settings["pixel_scale"],
        seed=lambda wc: study_seed(
            "galsim", "predictive", wc.variant, wc.model, bits=32
        ),
        caption=GALSIM.describe(),
    script:
        "../../workflow_scripts/galsim_posterior_predictive.py"


rule galsim_stamps:
    input:
        data=[GALSIM.paths.split(v, "test") for v in GALSIM.variants()],
    output:
        figure=report(
            GALSIM.paths.figure("example_stamps.png"),
            caption="../../report/galsim_stamps.rst",
            category="galsim",
            subcategory="Data",
        ),
    log:
        "logs/galsim_stamps/stamps.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=GALSIM.describe(),
        variants=GALSIM.variants(),
        pixel_scale=GALSIM.settings["pixel_scale"],
    script:
        "../../workflow_scripts/galsim_stamps.py"


# The conditional autoencoder's three-step training replaces the generic train rule for it.
ruleorder: galsim_autoencoder > train


rule galsim_autoencoder:
    input:
        train=GALSIM.paths.split("{variant}", "train"),
        val=GALSIM.paths.split("{variant}", "val"),
        test=GALSIM.paths.split("{variant}", "test"),
        norm=GALSIM.paths.split("{variant}", "norm"),
    output:
        model=GALSIM.paths.model("{variant}", "{model}"),
        decoder=GALSIM.paths.model("{variant}", "{model}", "decoder.keras"),
        history=GALSIM.paths.model("{variant}", "{model}", "history.csv"),
        figure=report(
            GALSIM.reconstructions_figure("{variant}", "{model}"),
            caption="../../report/galsim_autoencoder.rst",
            category="galsim",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/galsim_autoencoder/{variant}/{model}.log",
    wildcard_constraints:
        model=GALSIM.alternatives(GALSIM.autoencoder_models()),
    conda:
        "../../envs/tf.yaml"
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
        "../../workflow_scripts/galsim_autoencoder.py"
