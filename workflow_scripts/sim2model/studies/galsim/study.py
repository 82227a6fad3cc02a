"""GalSim study (Sérsic galaxy parameters, after the reference notebook on GalSim stamps).

Variants ``v1``-``v3`` differ in PSF and noise priors; a variant with ``input: noiseless`` (the
reference's upper bound) trains on the noiseless stamps instead of the noisy ones. The
fixed-parameter test sets (``snr30``,
``snr60``) hold one galaxy under many noise realisations for the Cramér–Rao comparison.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim2model.errors import ConfigError
from sim2model.reference_numbers import ReferenceNumber
from sim2model.sharding import fixed_size_spans
from sim2model.study import MISSPECIFIED_SET, Shard, Study, numbered_shards

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset

from sim2model.studies.galsim.names import (
    AUTOENCODER_ARCH,
    DENOISER_ARCHS,
    DENOISER_SET,
    LINEAR_SCALINGS,
    OTHER_NOISE,
    REFERENCE_AUTOENCODER,
    REFERENCE_XCEPTION_RMSE,
    TARGET_NAMES,
    TARGET_UNITS,
)

#: The reference notebook's regressor, whose RMSE table its numbers come from.
XCEPTION_ARCH = "xception"


class GalsimStudy(Study):
    name = "galsim"
    source_env = "galsim"
    own_model_tasks = {AUTOENCODER_ARCH: ("regression",)}
    evaluation_blocks = ("misspecification",)

    def source_note(self) -> str:
        noise = {"ccd": "Poisson and Gaussian noise", "gaussian": "Gaussian noise only"}
        return (
            f"GalSim Sérsic galaxies x Moffat PSF with {noise[self.settings.get('noise', 'ccd')]} "
            "(simulated)"
        )

    def variants(self) -> list[str]:
        """Training variants (one set to null is dropped: config files merge key by key)."""
        return [name for name, spec in self.settings["variants"].items() if spec is not None]

    def declared_variants(self) -> list[str]:
        return list(self.settings["variants"])

    def testsets(self) -> list[str]:
        """Fixed-parameter test sets (evaluated with the model of ``testsets.model_variant``).

        A test set set to null is dropped, like a variant.
        """
        return [
            name for name, spec in self.settings["testsets"]["sets"].items() if spec is not None
        ]

    def denoisers(self) -> list[str]:
        """Configured denoisers of the two-stage denoise-then-regress experiment."""
        block = self.settings.get("denoisers") or {}
        return [name for name, spec in (block.get("models") or {}).items() if spec is not None]

    def merged_sets(self) -> list[str]:
        """Source variants merged into one file each (not split): test sets, denoiser set and
        the misspecification test's stamps."""
        return [
            *self.testsets(),
            *([DENOISER_SET] if self.denoisers() else []),
            *self.misspecified_sets(),
        ]

    def misspecified_prior(self) -> dict[str, Any]:
        """``GalaxyPrior`` arguments of the misspecified stamps: the test-set variant's prior
        with ``misspecification.noise`` (default: the other noise model) and, when given, its
        ``sigma`` and ``psf_fwhm`` ranges."""
        shift = self.settings["misspecification"]
        prior = self.prior(self.testset_variant())
        prior["noise"] = shift.get("noise", OTHER_NOISE[self.noise()])
        for key in ("sigma", "psf_fwhm"):
            if key in shift:
                prior[key] = tuple(float(v) for v in shift[key])
        return prior

    def misspecification_note(self) -> str:
        """What differs between the misspecified stamps and the training stamps, in words."""
        trained, shifted = self.prior(self.testset_variant()), self.misspecified_prior()
        changes = [
            f"{label} {trained[key]} -> {shifted[key]}"
            for key, label in (("noise", "noise"), ("sigma", "noise sigma (counts)"),
                               ("psf_fwhm", "PSF FWHM (arcsec)"))
            if trained[key] != shifted[key]
        ]  # fmt: skip
        return "stamps from the same prior with " + ("; ".join(changes) or "nothing changed")

    def misspecification_variant(self) -> str:
        return self.testset_variant()

    def target_units(self) -> dict[str, str]:
        return {name: unit for name, unit in zip(TARGET_NAMES, TARGET_UNITS, strict=True) if unit}

    def source_variants(self) -> list[str]:
        return [*self.variants(), *self.merged_sets()]

    def prior(self, name: str) -> dict[str, Any]:
        """Keyword arguments of the ``GalaxyPrior`` of a variant or fixed-parameter test set."""
        settings = self.settings
        if name == DENOISER_SET:
            return self.prior(settings["denoisers"]["variant"])
        if name == MISSPECIFIED_SET:
            return self.misspecified_prior()
        scale = settings["flux_scale"]
        common = {
            "flux": tuple(scale * f for f in settings["flux_factor"]),
            "sersic_n": tuple(settings["sersic_n"]),
            "half_light_radius": tuple(settings["half_light_radius"]),
            "shear": (0.0, settings["shear_max"]),
            "snr": tuple(settings["snr_range"]),
            "n_grid": settings["n_grid"],
            "stamp_size": settings["stamp_size"],
            "pixel_scale": settings["pixel_scale"],
            "noise": self.noise(),
        }
        if name in settings["variants"]:
            spec = settings["variants"][name]
            return {
                **common,
                "psf_fwhm": tuple(spec["psf_fwhm"]),
                "sigma": tuple(spec["sigma"]),
                "psf_channel": spec.get("psf_channel", False),
            }
        testsets = settings["testsets"]
        fixed = {**testsets["fixed"], "sigma": testsets["sets"][name]["sigma"]}
        return {**common, "fixed": fixed}

    def autoencoder_models(self) -> list[str]:
        """Configured models that are conditional autoencoders (trained in three steps)."""
        return self.arch_models(AUTOENCODER_ARCH)

    def model_config(self, model: str) -> dict[str, Any]:
        """Builder options of a model (its ``variants`` list only says where it is trained)."""
        return {key: value for key, value in self.models()[model].items() if key != "variants"}

    def priors(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """The prior of each variant or test set in ``names``."""
        return {name: self.prior(name) for name in names}

    @staticmethod
    def alternatives(names: list[str]) -> str:
        """Wildcard regex matching exactly ``names`` (nothing when there are none)."""
        return "|".join(re.escape(name) for name in names) or "(?!)"

    def run_loss(self, variant: str, model: str) -> str:
        if model in self.autoencoder_models():
            return "binary_crossentropy"
        return super().run_loss(variant, model)

    # -- results ------------------------------------------------------------------------------
    def reference_numbers(self) -> list[ReferenceNumber]:
        """The reference's Xception RMSE (noiseless, v1-v3) and its autoencoder's bias and RMSE
        (v1-v3) per target, beside every configured model of that architecture on that variant."""
        numbers = []
        for variant in self.variants():
            for model in self.variant_models(variant):
                arch = self.models()[model]["arch"]
                if arch == XCEPTION_ARCH and variant in REFERENCE_XCEPTION_RMSE:
                    row, rmse = REFERENCE_XCEPTION_RMSE[variant]
                    where = f"Xception RMSE table (pd.DataFrame(RMSE)), row {row!r}"
                    numbers += self._per_target(variant, model, {"rmse": rmse}, where)
                elif arch == AUTOENCODER_ARCH and variant in REFERENCE_AUTOENCODER:
                    which, bias, rmse = REFERENCE_AUTOENCODER[variant]
                    where = f"conditional autoencoder's Bias/RMSE tables, the {which} of three"
                    numbers += self._per_target(variant, model, {"bias": bias, "rmse": rmse}, where)
        return numbers

    @staticmethod
    def _per_target(
        variant: str, model: str, values: Mapping[str, tuple[float, ...]], where: str
    ) -> list[ReferenceNumber]:
        """One reference number per target and metric (``values``: metric -> per target)."""
        return [
            ReferenceNumber(
                f"{metric.upper() if metric == 'rmse' else metric} {target}"
                + (f" ({unit})" if unit else ""),
                variant, model, ("targets", target, metric), value, where,
            )
            for metric, per_target in values.items()
            for target, unit, value in zip(TARGET_NAMES, TARGET_UNITS, per_target, strict=True)
        ]  # fmt: skip

    def testset_variant(self) -> str:
        """The variant whose models are evaluated on the fixed-parameter test sets."""
        return self.settings["testsets"]["model_variant"]

    def rmse_runs(self) -> list[tuple[str, str, str]]:
        """(variant, model, evalset) of each test-split evaluation the RMSE table reads."""
        return [(variant, model, "test") for variant, model in self.runs()]

    def autoencoder_runs(self) -> list[tuple[str, str, str]]:
        """(variant, model, evalset) of each autoencoder's test-split evaluation, whose
        predictions the autoencoder table reads (bias, RMSE, explained variance per dataset)."""
        autoencoders = self.autoencoder_models()
        return [run for run in self.rmse_runs() if run[1] in autoencoders]

    def testset_runs(self) -> list[tuple[str, str, str]]:
        """(variant, model, evalset) of each evaluation on a fixed-parameter test set."""
        variant = self.testset_variant()
        return [(variant, m, t) for m in self.variant_models(variant) for t in self.testsets()]

    def figure_run(self) -> int:
        """Index in :meth:`runs` of the run the reconstruction figure shows: the first
        non-autoencoder run of the test-set variant (else the first run)."""
        shown, autoencoders = self.testset_variant(), self.autoencoder_models()
        runs = enumerate(self.runs())
        return next((i for i, (v, m) in runs if v == shown and m not in autoencoders), 0)

    def crb_table(self) -> str:
        return self.paths.dir("eval", "crb.csv")

    def crb_file(self) -> str | None:
        """The fixed-parameter test sets' Cramér–Rao bounds (none without test sets)."""
        return self.crb_table() if self.testsets() else None

    def sweep_testsets(self, variant: str) -> list[str]:
        """Fixed-parameter test sets a sweep on ``variant`` is scored on: those of the test-set
        variant (their stamps are made for its models) whose noise sigma and PSF lie inside its
        prior (a set outside it would measure the model on data it never saw, not its
        efficiency; e.g. v1's fixed sigma 200 leaves out snr30 at sigma 400)."""
        if variant != self.testset_variant():
            return []
        prior = self.prior(variant)

        def inside(fixed: Mapping[str, float]) -> bool:
            return all(prior[k][0] <= fixed[k] <= prior[k][1] for k in ("sigma", "psf_fwhm"))

        return [name for name in self.testsets() if inside(self.prior(name)["fixed"])]

    def sweep_evalsets(self, model: str) -> list[str]:
        """The test split, and the fixed-parameter test sets of :meth:`sweep_testsets`: each
        point's scatter there is set beside the CRB."""
        return ["test", *self.sweep_testsets(self.sweeps()[model]["variant"])]

    def curve_metrics(self, variant: str, model: str) -> list[dict[str, Any]]:
        """The reference's RMSE per target and, on the test-set variant, each target's scatter
        on every fixed-parameter test set over its Cramér–Rao bound (reference line: 1)."""
        bounds = [
            {"label": f"σ/CRB {target} ({testset})", "path": ["targets", target, "std"],
             "kind": "error", "reference": 1.0, "where": "the Cramér–Rao bound", "unit": "",
             "evalset": testset, "over_crb": True, "reference_name": "Cramér–Rao bound"}
            for testset in self.sweep_testsets(variant)
            for target in TARGET_NAMES
        ]  # fmt: skip
        return [*super().curve_metrics(variant, model), *bounds]

    def baseline_fits(self, testset: str) -> str:
        """Maximum-likelihood baseline fits of a fixed-parameter test set."""
        return self.paths.dir("eval", "baseline", f"{testset}.csv")

    def denoise_variant(self) -> str | None:
        """The variant the denoisers clean and the regressor learns (None: no denoisers block)."""
        return (self.settings.get("denoisers") or {}).get("variant")

    def denoise_output(self, denoiser: str, name: str) -> str:
        return self.paths.dir("denoise", denoiser, name)

    def denoise_figure(self, denoiser: str) -> str:
        return self.paths.figure(f"denoise_{denoiser}.png")

    def denoise_inputs(self) -> dict[str, str]:
        """The denoisers' own set and the split denoised variant (none without a variant)."""
        variant = self.denoise_variant()
        if variant is None:
            return {}
        parts = {part: self.paths.split(variant, part) for part in ("train", "val", "test", "norm")}
        return {"denoiser_data": self.paths.testset(DENOISER_SET), **parts}

    def denoiser_config(self, denoiser: str) -> dict[str, Any]:
        return self.settings["denoisers"]["models"][denoiser]

    def regressor_config(self) -> dict[str, Any]:
        """Builder options of the model trained on the denoised stamps."""
        return self.model_config(self.settings["denoisers"]["regressor"])

    def denoise_runs(self) -> list[tuple[str | None, str, str]]:
        """(variant, denoiser, regressor) of each denoiser, in order."""
        variant, block = self.denoise_variant(), self.settings.get("denoisers")
        return [(variant, d, block["regressor"]) for d in self.denoisers()]

    def cost_runs(self) -> list[dict[str, Any]]:
        """The generic rows, each autoencoder's split by its three training steps as well, and
        each denoiser's two trainings (denoiser, then regressor on its output)."""
        runs = super().cost_runs()
        for run in runs:
            if run["model"] in self.autoencoder_models():
                run["split_by"] = "step"
        for variant, denoiser, regressor in self.denoise_runs():
            metrics = self.denoise_output(denoiser, "metrics.json")
            runs += [
                {"variant": variant, "model": denoiser, "part": "denoiser",
                 "history": self.denoise_output(denoiser, "denoiser/history.csv"),
                 "metrics": metrics, "parameters_of": "denoiser"},
                {"variant": variant, "model": regressor, "part": f"on {denoiser}-denoised stamps",
                 "history": self.denoise_output(denoiser, "regressor/history.csv"),
                 "metrics": metrics, "parameters_of": "regressor"},
            ]  # fmt: skip
        return runs

    def posterior_predictive_figure(self, variant: str, model: str) -> str:
        """Figure of a neural posterior's draws re-rendered with GalSim (predictive check)."""
        return self.paths.figure(variant, model, "posterior_predictive.png")

    def reconstructions_figure(self, variant: str, model: str) -> str:
        """Figure of an autoencoder run's reconstructed stamps."""
        return self.paths.figure(variant, model, "reconstructions.png")

    def targets(self) -> list[str]:
        paths = self.paths
        return [
            *self.generic_targets(),
            *paths.tables("rmse"),
            *paths.tables("crb_comparison"),
            *paths.tables("denoisers"),
            *paths.tables("autoencoder_metrics"),
            paths.figure("crb_comparison.png"),
            paths.figure("example_stamps.png"),
            *paths.tables("reconstruction"),
            paths.figure("reconstruction.png"),
            *(self.denoise_figure(d) for d in self.denoisers()),
            *(self.posterior_predictive_figure(v, m) for v, m in self.posterior_runs()),
            *(
                self.reconstructions_figure(v, m)
                for v, m in self.runs()
                if m in self.autoencoder_models()
            ),
        ]

    def extra_data(self) -> list[str]:
        """The merged test sets and the denoisers' own set."""
        return [self.paths.testset(name) for name in self.merged_sets()]

    def noise(self) -> str:
        """Noise of every stamp: ``ccd`` (Poisson + Gaussian) or ``gaussian`` (the reference)."""
        return self.settings.get("noise", "ccd")

    def variant_input(self, name: str) -> str:
        """What a variant's models see: ``noisy`` stamps or the ``noiseless`` ones."""
        return (self.settings["variants"].get(name) or {}).get("input", "noisy")

    def n_samples(self, name: str) -> int:
        if name == DENOISER_SET:
            return self.settings["denoisers"]["n_samples"]
        if name == MISSPECIFIED_SET:
            return self.settings["misspecification"]["n_samples"]
        sets = {**self.settings["variants"], **self.settings["testsets"]["sets"]}
        return sets[name]["n_samples"]

    def shards(self, variant: str) -> list[Shard]:
        spans = fixed_size_spans(self.n_samples(variant), self.settings["shard_size"])
        plan = {
            "variant": variant,
            "prior": self.prior(variant),
            "renderer": self.renderer(),
            "input": self.variant_input(variant),
        }
        return numbered_shards(variant, spans, plan)

    def renderer(self) -> str:
        """``galsim`` (the reference) or ``batched`` (the NumPy renderer validated against it)."""
        return self.settings.get("renderer", "galsim")

    @staticmethod
    def build_shard(plan: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        from sim2model.studies.galsim.galaxies import limit_threads, simulate_shard
        from sim2model.studies.galsim.prior import GalaxyPrior

        limit_threads(1)
        ds = simulate_shard(
            GalaxyPrior(**plan["prior"]),
            plan["count"],
            seed,
            plan["first"],
            progress=True,
            tables_dir=cache_dir if plan.get("renderer") == "batched" else None,
        )
        if plan.get("input", "noisy") == "noiseless":
            ds.x[..., 0] = ds.extra["noiseless"]
        ds.attrs = {
            **ds.attrs,
            "variant": plan["variant"],
            "shard_index": plan["index"],
            "seed": seed,
        }
        return ds

    def check(self) -> None:
        super().check()
        testsets = self.settings["testsets"]
        if testsets["model_variant"] not in self.variants():
            raise ConfigError(
                "galsim.testsets.model_variant",
                f"{testsets['model_variant']!r} is not a variant (they are {self.variants()})",
            )
        clash = sorted(set(self.variants()) & set(self.testsets()))
        if clash:
            raise ConfigError(
                "galsim.testsets.sets", f"{clash} are also dataset variants; use other names"
            )
        if DENOISER_SET in {*self.variants(), *self.testsets()}:
            raise ConfigError("galsim.variants", f"{DENOISER_SET!r} is reserved for the denoisers")
        if self.denoisers():
            self.check_denoisers()

    def check_denoisers(self) -> None:
        """The denoised variant and the regressor exist; every denoiser is an image model."""
        block = self.settings["denoisers"]
        if block["variant"] not in self.variants():
            raise ConfigError(
                "galsim.denoisers.variant",
                f"{block['variant']!r} is not a variant (they are {self.variants()})",
            )
        if block["regressor"] not in self.models():
            raise ConfigError(
                "galsim.denoisers.regressor",
                f"{block['regressor']!r} is not a model (they are {sorted(self.models())})",
            )
        for name in self.denoisers():
            arch = block["models"][name]["arch"]
            if arch not in DENOISER_ARCHS:
                raise ConfigError(
                    f"galsim.denoisers.models.{name}.arch",
                    f"{arch!r} is not a denoiser ({', '.join(DENOISER_ARCHS)})",
                )
        scaling = self.dataset_settings(block["variant"])["image_scaling"]
        if scaling not in LINEAR_SCALINGS:
            raise ConfigError(
                self.dataset_key("image_scaling"),
                f"{scaling!r}: the denoisers need a linear image scaling, one of {LINEAR_SCALINGS}",
            )
