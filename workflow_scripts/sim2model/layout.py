"""The results layout: every generic path under ``results/<study>/`` is spelled here, once.

Rule files and study modules ask a :class:`StudyPaths` for a path instead of writing it out.
Passing Snakemake wildcards (``"{variant}"``) as arguments gives the rule's path pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Folder of every study's results (relative to the workflow's directory).
RESULTS = "results"
#: The parts of a split dataset variant: three contract files and the normaliser.
SPLITS = ("train", "val", "test")
NORM = "norm.json"
#: Generic figures of one trained run, by its variant's task.
RUN_FIGURES = {
    "regression": ("true_vs_predicted", "error_histograms", "true_vs_error"),
    "classification": ("confusion_matrix",),
    "image2image": ("image_panels", "power_spectra"),
}


@dataclass(frozen=True)
class StudyPaths:
    """Paths of one study's results (``study`` may be the wildcard ``"{study}"``)."""

    study: str
    root: str = RESULTS

    def dir(self, *parts: str) -> str:
        """``results/<study>/<parts...>``."""
        return "/".join((self.root, self.study, *parts))

    def shard(self, variant: str, shard: str) -> str:
        return self.dir("shards", variant, f"{shard}.h5")

    def split(self, variant: str, part: str) -> str:
        """A split (``train``, ``val``, ``test``) or ``norm`` of a dataset variant."""
        return self.dir("dataset", variant, NORM if part == "norm" else f"{part}.h5")

    def dataset(self, variant: str) -> list[str]:
        """The four files of a split variant: train, val, test and the normaliser."""
        return [self.split(variant, part) for part in (*SPLITS, "norm")]

    def testset(self, name: str) -> str:
        return self.dir("testsets", f"{name}.h5")

    def evaluation_data(self, variant: str, evalset: str) -> str:
        """The test split (``evalset == "test"``) or a merged test set."""
        return self.split(variant, "test") if evalset == "test" else self.testset(evalset)

    def model(self, variant: str, model: str, name: str = "model.keras") -> str:
        return self.dir("models", variant, model, name)

    def evaluation(self, variant: str, model: str, evalset: str, name: str) -> str:
        return self.dir("eval", variant, model, evalset, name)

    def predictions(self, variant: str, model: str, evalset: str = "test") -> str:
        return self.evaluation(variant, model, evalset, "predictions.h5")

    def generator(self, variant: str, model: str, name: str) -> str:
        """A file of the generate stage's trained generator."""
        return self.dir("generators", variant, model, name)

    def generated(self, variant: str, model: str) -> str:
        """The generated maps (a contract dataset)."""
        return self.dir("generated", variant, f"{model}.h5")

    def generated_table(self, variant: str, model: str, suffix: str) -> str:
        return self.dir("tables", "generated", variant, f"{model}.{suffix}")

    def search(self, model: str, name: str) -> str:
        """A file of an architecture search (``best.yaml``, ``trials.csv``)."""
        return self.dir("search", model, name)

    def sweep(self, model: str, point: str, run: str, name: str) -> str:
        """A file of one point of a budget sweep: ``run`` (the model or one of its repeats)
        trained at ``point`` (``n<samples>``, or a simulation setting's ``<setting><value>``):
        ``sweep/<model>/<point>/<run>/<name>``."""
        return self.dir("sweep", model, point, run, name)

    def simulation(self, point: str, *parts: str) -> str:
        """A file of the data a simulation sweep simulates at ``point``:
        ``simulations/<point>/<parts...>``."""
        return self.dir("simulations", point, *parts)

    def learning_curve(self, model: str, suffix: str) -> str:
        """The learning curve of a sweep: ``tables/learning_curve/<model>.{csv,md}`` or
        ``figures/learning_curve/<model>.png``."""
        folder = "figures" if suffix == "png" else "tables"
        return self.dir(folder, "learning_curve", f"{model}.{suffix}")

    def calibration(self, variant: str, model: str) -> list[str]:
        """A neural posterior's calibration on its test split: the table
        (``tables/calibration/<variant>/<model>.{csv,md}``) and its SBC rank histograms and
        coverage figures (``figures/<variant>/<model>/{sbc_ranks,coverage}.png``)."""
        return [
            self.dir("tables", "calibration", variant, f"{model}.csv"),
            self.dir("tables", "calibration", variant, f"{model}.md"),
            self.figure(variant, model, "sbc_ranks.png"),
            self.figure(variant, model, "coverage.png"),
        ]

    def cache(self) -> str:
        """Working files a study's jobs share (not data products)."""
        return self.dir("cache")

    def figure(self, *parts: str) -> str:
        """``figures/<parts...>``; the last part is the file name."""
        return self.dir("figures", *parts)

    def run_figures(self, variant: str, model: str, task: str) -> list[str]:
        """The generic report figures of one run, by its task."""
        return [self.figure(variant, model, f"{kind}.png") for kind in RUN_FIGURES[task]]

    def table(self, name: str, suffix: str) -> str:
        return self.dir("tables", f"{name}.{suffix}")

    def tables(self, name: str) -> list[str]:
        """A table as CSV and Markdown."""
        return [self.table(name, "csv"), self.table(name, "md")]

    def training_curves(self) -> str:
        return self.figure("training_curves.png")

    def manifest(self) -> str:
        return self.dir("MANIFEST.sha256")

    def provenance(self) -> str:
        return self.dir("provenance.json")
