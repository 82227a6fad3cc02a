"""Static checks of the rule files and per-step conda environments."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO / "workflow_scripts"

#: Import name -> conda/pip package names that provide it.
PROVIDERS = {
    "galsim": {"galsim"},
    "numpy": {"numpy"},
    "scipy": {"scipy"},
    "h5py": {"h5py"},
    "pandas": {"pandas"},
    "tqdm": {"tqdm"},
    "matplotlib": {"matplotlib", "matplotlib-base"},
    "keras": {"keras"},
    "keras_tuner": {"keras-tuner"},
    "tensorflow": {"tensorflow", "tensorflow-cpu"},
    "yaml": {"pyyaml"},
    "astropy": {"astropy"},
    "tabulate": {"tabulate"},
    "sklearn": {"scikit-learn"},
    "gdown": {"gdown"},
    "bayesflow": {"bayesflow"},
}
#: Imported only when the config selects them (another Keras backend).
OPTIONAL = {"jax", "torch", "py21cmfast"}
#: The generic source rule: its env is the study's (checked study by study below).
SOURCE_RULE = "source_shard"
#: Calls that import a package at run time although no import statement names it.
IMPLICIT = {".to_markdown(": "tabulate"}


def parse_rules() -> dict[str, dict[str, str]]:
    """Rule name -> {directive: text} from the Snakefile and every rule file under rules/ (the
    generic ones and rules/studies/*.smk); ``folder`` is where the rule's relative paths start."""
    rules = {}
    for path in [REPO / "Snakefile", *sorted((REPO / "rules").rglob("*.smk"))]:
        text = path.read_text()
        for match in re.finditer(r"^rule (\w+):\n((?:    .*\n|\n)*)", text, re.M):
            body = match.group(2)
            directives = dict(re.findall(r"^    (\w+):\s*\n?\s*(.*)", body, re.M))
            rules[match.group(1)] = {**directives, "folder": str(path.parent)}
    return rules


RULES = parse_rules()
WORK_RULES = {name: d for name, d in RULES.items() if name != "all"}


def test_rules_were_found():
    assert {"source_shard", "split_dataset", "train", "evaluate", "provenance"} <= set(RULES)
    assert {"galsim_crb", "eor_tables", "turbulence_cubes", "crsphere_figures"} <= set(RULES)


@pytest.mark.parametrize("rule", sorted(WORK_RULES))
def test_every_rule_declares_log_conda_resources_and_one_script(rule):
    directives = WORK_RULES[rule]
    missing = [d for d in ("log", "conda", "resources", "script") if d not in directives]
    assert not missing, f"rule {rule} lacks {missing}"
    assert "shell" not in directives and "run" not in directives


def test_training_rule_requests_gpu_and_cpus():
    text = (REPO / "rules" / "train.smk").read_text()
    block = text[text.index("rule train:") : text.index("rule evaluate:")]
    assert "gpu=" in block and "cpus_per_task=" in block


def _imports(path: Path) -> set[str]:
    """Top-level names of every module imported anywhere in ``path``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def third_party_imports(
    script: Path, skip: frozenset[str] = frozenset()
) -> tuple[set[str], set[Path]]:
    """Third-party packages a script needs, following imports into the sim2model library.

    Modules named in ``skip`` are not followed. Returns the packages and the files scanned.
    """
    seen, todo, found = set(), [script], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        found |= {pkg for call, pkg in IMPLICIT.items() if call in path.read_text()}
        for name in _imports(path):
            top = name.split(".")[0]
            if name in skip:
                continue
            if top == "sim2model":
                module = LIBRARY / Path(*name.split("."))
                todo += [
                    p for p in (module.with_suffix(".py"), module / "__init__.py") if p.exists()
                ]
            elif top not in sys.stdlib_module_names and top not in OPTIONAL:
                found.add(top)
    return found, seen


def env_packages(env_file: Path) -> set[str]:
    spec = yaml.safe_load(env_file.read_text())
    packages = set()
    for dep in spec["dependencies"]:
        deps = dep["pip"] if isinstance(dep, dict) else [dep]
        packages |= {re.split(r"[=<>!~ ]", d)[0].lower() for d in deps}
    return packages


def assert_env_provides(env_file: Path, imports: set[str], script: str) -> None:
    packages = env_packages(env_file)
    unknown = imports - set(PROVIDERS)
    assert not unknown, f"{script} imports {unknown}: add them to PROVIDERS and an env"
    lacking = {m for m in imports if not PROVIDERS[m] & packages}
    assert not lacking, f"{env_file.name} lacks packages for {lacking} imported by {script}"


@pytest.mark.parametrize("rule", sorted(set(WORK_RULES) - {SOURCE_RULE}))
def test_env_provides_every_package_the_rule_script_imports(rule):
    directives = WORK_RULES[rule]
    folder = Path(directives["folder"])
    env_file = (folder / directives["conda"].strip("\"'")).resolve()
    script = (folder / directives["script"].strip("\"'")).resolve()
    imports, scanned = third_party_imports(script)
    assert len(scanned) > 2, f"{script.name}: the scan did not follow imports into sim2model"
    assert_env_provides(env_file, imports, script.name)


SOURCES = [
    ("galsim", {}), ("eor21cm", {}), ("eor21cm", {"source": "simfast21"}),
    ("crsphere", {}), ("crsphere", {"source": "npz"}), ("galaxy10", {}),
    ("galaxy10", {"source": "h5"}),
]  # fmt: skip


@pytest.mark.parametrize(("study", "override"), SOURCES, ids=lambda v: str(v))
def test_source_env_of_each_study_provides_what_its_shards_import(study, override):
    """`source_shard` runs in the study's env: it must hold the study module's imports."""
    from sim2model.registry import STUDY_CLASSES

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config[study].update(override)
    env = STUDY_CLASSES[study](config).source_env
    assert f"{SOURCE_RULE}" in RULES and "source_env" in RULES[SOURCE_RULE]["conda"]
    script = REPO / "workflow_scripts" / "source_shard.py"
    generic, scanned = third_party_imports(script, skip=frozenset({"sim2model.registry"}))
    assert len(scanned) > 2
    # The model registry is read by the study's checks at parse time (in the Snakefile's env),
    # never inside a shard job; its builders import keras only when they build.
    parse_time_only = frozenset({"sim2model.models"})
    own, _ = third_party_imports(
        LIBRARY / "sim2model" / "studies" / study / "study.py", skip=parse_time_only
    )
    assert_env_provides(REPO / "envs" / f"{env}.yaml", generic | own, f"{study} shards")


@pytest.mark.parametrize("env_file", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_env_files_are_pinned_conda_forge_envs(env_file):
    spec = yaml.safe_load(env_file.read_text())
    assert spec["channels"][0] == "conda-forge"
    pins = dict(re.findall(r"^([\w.-]+)==?([\w.]+)$", line)[0] for line in _dep_lines(spec))
    assert pins.get("python") == "3.11"
    requirements = dict(
        line.split("==") for line in (REPO / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )  # fmt: skip
    for name, version in pins.items():
        if name in requirements:
            assert version == requirements[name], f"{env_file.name}: {name} {version} differs"


def _dep_lines(spec: dict) -> list[str]:
    lines = []
    for dep in spec["dependencies"]:
        lines += dep["pip"] if isinstance(dep, dict) else [dep]
    unpinned = [d for d in lines if "=" not in d and d != "pip"]
    assert not unpinned, f"unpinned packages {unpinned}"
    return [d for d in lines if d != "pip"]


def test_snakemake_lint_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Lints for" not in out.stdout + out.stderr


def test_snakefiles_are_snakefmt_formatted():
    out = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "rules"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def _train_resources(*args: str) -> str:
    target = "results/galsim/models/v1/xception/model.keras"
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--forcerun=train", target, *args],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    block = out.stdout[out.stdout.index("rule train:") :]
    return re.search(r"resources: (.*)", block).group(1)


@pytest.mark.parametrize(
    ("args", "gpus", "cpus"),
    [
        ((), 0, 1),
        (("--configfile", "config/gpu.yaml"), 1, 4),
        (("--configfile", "config/gpu.yaml", "--set-resources", "train:gpu=0"), 0, 4),
    ],
    ids=["default-cpu", "gpu-config", "cpu-override"],
)
def test_training_gpu_and_cpu_request_follows_config(args, gpus, cpus):
    resources = _train_resources(*args)
    assert f"gpu={gpus}" in resources and f"cpus_per_task={cpus}" in resources


@pytest.mark.parametrize(
    "preset", sorted((REPO / "config" / "paper").glob("*.yaml")), ids=lambda p: p.stem
)
def test_paper_presets_validate_and_build_a_dag(preset, tmp_path):
    configs = [str(preset)]
    if preset.stem == "galaxy10":  # points at the user's Galaxy10 file, absent here
        stand_in = tmp_path / "Galaxy10.h5"
        stand_in.touch()
        override = tmp_path / "data.yaml"
        override.write_text(yaml.safe_dump({"galaxy10": {"h5": {"path": str(stand_in)}}}))
        configs.append(str(override))
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", *configs],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Job stats:" in out.stdout


@pytest.mark.parametrize("rule", sorted(WORK_RULES))
def test_rule_script_and_library_function_share_the_rule_name(rule):
    script = (Path(WORK_RULES[rule]["folder"]) / WORK_RULES[rule]["script"].strip("\"'")).resolve()
    assert script.stem == rule
    assert re.search(rf"run_job\(snakemake, (partial\()?{rule}\b", script.read_text())
