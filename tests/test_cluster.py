"""The workflow through snakemake-executor-plugin-slurm on a real single-node SLURM cluster.

tests/cluster/slurm_up.sh installs Debian's slurm-wlm and munge when missing and starts munged,
slurmctld and slurmd on this host (partitions `debug` (default), `cpu` and `gpu`; one fake GPU);
tests/cluster/slurm_down.sh stops them. Needs root; skipped otherwise or when the install fails
(a failure instead when SIM2MODEL_REQUIRE_CLUSTER=1, as in CI). Every snakemake run here is the
user's `snakemake --profile ...` plus the test layer tests/cluster/profile (squeue for job
states: this cluster has no accounting database), under a timeout that kills its process group
and cancels its jobs. At the end the jobs, their SLURM states and the wall times are printed
and written to $SIM2MODEL_SLURM_STATE/summary.txt (default /tmp/sim2model-slurm).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REQUIRE_CLUSTER, REQUIRE_SHARED, skip_unless_required
from test_workflow import COPIED, REPO, TINY, copy_workflow, snakemake

pytestmark = pytest.mark.cluster

CLUSTER = REPO / "tests" / "cluster"
TEST_PROFILE = CLUSTER / "profile"
CLUSTER_STUDIES = CLUSTER / "studies.yaml"
STATE = Path(os.environ.get("SIM2MODEL_SLURM_STATE", "/tmp/sim2model-slurm"))
SLURM_CONF = STATE / "etc" / "slurm.conf"
PARTITIONS = {"SIM2MODEL_SLURM_PARTITION": "cpu", "SIM2MODEL_SLURM_GPU_PARTITION": "gpu"}
#: Rules whose jobs go to the GPU partition (GPU_RULES of profiles/slurm/config.yaml).
TRAINING_RULES = {"train", "galsim_autoencoder", "galsim_denoise", "architecture_search"}
SUBMITTED = re.compile(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: (\S+?)\)")
RUNS: list[ClusterRun] = []  # every cluster run of this session, for the summary
NOTES: list[str] = []  # further lines for it


@dataclass
class Job:
    slurm_id: str
    rule: str
    wildcards: str
    state: str = "?"
    partition: str = "?"
    gres: str = ""  # requested (TresPerJob) and allocated (JOB_GRES) generic resources


@dataclass
class ClusterRun:
    name: str
    workdir: Path
    returncode: int
    wall_s: float
    output: str
    jobs: list[Job] = field(default_factory=list)


# --- the cluster -----------------------------------------------------------------------------


def _env(*, cluster: bool = True, **extra: str) -> dict[str, str]:
    """This environment without SIM2MODEL_SLURM_* settings, pointed at the test cluster.

    Without ``cluster`` no SLURM_CONF at all: the slurm plugin runs `scontrol show config` when
    snakemake starts, and that waits 10 s when SLURM_CONF names a cluster that is down.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIM2MODEL_SLURM_", "SLURM_"))}
    env["SIM2MODEL_SLURM_STATE"] = str(STATE)
    if cluster:
        env["SLURM_CONF"] = str(SLURM_CONF)
    return {**env, **extra}


def _slurm(*cmd: str) -> str:
    out = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=30)
    return out.stdout


def _cluster_script(name: str, timeout: int) -> subprocess.CompletedProcess:
    """Run tests/cluster/<name> with the test environment, capturing its output."""
    return subprocess.run(
        ["bash", str(CLUSTER / name)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running single-node SLURM cluster for the whole session (slurm_up.sh/slurm_down.sh)."""
    if os.geteuid() != 0:
        skip_unless_required(
            "cluster tests start munged, slurmctld and slurmd as root: not root", REQUIRE_CLUSTER
        )
    start = time.monotonic()
    up = _cluster_script("slurm_up.sh", timeout=900)
    if up.returncode in (2, 3):  # not root, or slurm-wlm/munge could not be installed
        skip_unless_required(f"no SLURM test cluster: {up.stderr.strip()[-2000:]}", REQUIRE_CLUSTER)
    if up.returncode != 0:
        down = _cluster_script("slurm_down.sh", timeout=120)
        pytest.fail(f"slurm_up.sh failed ({up.returncode}):\n{up.stderr[-4000:]}\n{down.stderr}")
    NOTES.append(f"slurm_up.sh: {time.monotonic() - start:.1f} s ({up.stderr.strip()[-300:]})")
    yield SLURM_CONF
    down = _cluster_script("slurm_down.sh", timeout=120)
    left = [p.name for p in (STATE / "pids").glob("*")]
    assert down.returncode == 0 and not left, f"slurm_down.sh: {down.stderr}; left: {left}"


@pytest.fixture(scope="module", autouse=True)
def cluster_summary(request):
    """Time this module (cluster start included) and report every job it submitted."""
    start = time.monotonic()
    yield
    if not RUNS:
        return
    wall = time.monotonic() - start
    lines = [f"cluster tests: {wall:.0f} s wall in all, SLURM start included"]
    for run in RUNS:
        states = sorted({job.state for job in run.jobs})
        lines.append(
            f"  {run.name}: {run.wall_s:.0f} s, exit {run.returncode}, {len(run.jobs)} jobs "
            f"submitted, states {'/'.join(states) or '-'}"
        )
        for job in run.jobs:
            lines.append(
                f"    {job.slurm_id:>4} {job.rule:<18} {job.wildcards:<22} {job.partition:<6} "
                f"{job.state:<10} {job.gres}".rstrip()
            )
    lines += [f"  {note}" for note in NOTES]
    text = "\n".join(lines)
    if STATE.is_dir():
        (STATE / "summary.txt").write_text(text + "\n")
    # Shown without -s too: past pytest's output capture, straight to the terminal.
    plugins = request.config.pluginmanager
    reporter, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")
    if reporter is None or capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


# --- running snakemake on it -----------------------------------------------------------------


def _job_details(slurm_id: str) -> dict[str, str]:
    """`scontrol -d show job` as a dict (empty once SLURM has forgotten the job)."""
    text = _slurm("scontrol", "-d", "-o", "show", "job", slurm_id)
    return dict(item.split("=", 1) for item in text.split() if "=" in item)


def _jobcomp() -> dict[str, dict[str, str]]:
    """The cluster's job-completion log: a line per finished job, kept after squeue forgets."""
    log = STATE / "jobcomp.log"
    records = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        rec = dict(item.split("=", 1) for item in line.split() if "=" in item)
        records[rec.get("JobId", "")] = rec
    return records


def cluster_snakemake(
    name: str, workdir: Path, *args: str, env: dict[str, str], timeout: float
) -> ClusterRun:
    """Run the snakemake CLI in ``workdir`` against the test cluster; collect its SLURM jobs."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    log_path = workdir / "cluster-run.log"
    start = time.monotonic()
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The plugin ignores SIGTERM while it waits on job states: kill the whole group.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            jobs = _slurm("squeue", "-h", "-o", "%i").split()
            if jobs:
                _slurm("scancel", *jobs)
            output = log_path.read_text(errors="replace")
            pytest.fail(f"snakemake {' '.join(args)} still running after {timeout} s:\n"
                        f"{output[-6000:]}")  # fmt: skip
    wall = time.monotonic() - start
    output = log_path.read_text(errors="replace")
    run = ClusterRun(name, workdir, proc.returncode, wall, output)
    completed = _jobcomp()
    for slurm_id, slurm_log in SUBMITTED.findall(output):
        # .snakemake/slurm_logs/rule_<rule>[/<wildcards>]/<id>.log
        parent = Path(slurm_log).parent
        if not parent.name.startswith("rule_"):
            parent, wildcards = parent.parent, parent.name
        else:
            wildcards = ""
        job = Job(slurm_id, parent.name.removeprefix("rule_"), wildcards)
        details = _job_details(slurm_id)
        record = completed.get(slurm_id, {})
        job.state = details.get("JobState") or record.get("JobState", "?")
        job.partition = details.get("Partition") or record.get("Partition", "?")
        gres = [f"{k}={details[k]}" for k in ("TresPerJob", "JOB_GRES")
                if details.get(k, "(null)") != "(null)"]  # fmt: skip
        job.gres = " ".join(gres)
        run.jobs.append(job)
    RUNS.append(run)
    return run


def _passed(run: ClusterRun) -> None:
    if run.returncode != 0:
        pytest.fail(f"{run.name}: snakemake exited {run.returncode}:\n{run.output[-8000:]}")


def _job_stats(output: str) -> dict[str, int]:
    """Snakemake's `Job stats` table: jobs per rule of the DAG it is about to run."""
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)}


def _workflow_copy(src: Path, dest: Path) -> Path:
    """A second copy of an already copied workflow: the same sources, whatever changes in REPO."""
    dest.mkdir(parents=True)
    for name in COPIED:
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name)
        else:
            shutil.copy2(src / name, dest / name)
    return dest


# --- the profile alone (dry runs, no cluster needed) -----------------------------------------


def _dry_run_resources(work: Path, env: dict[str, str]) -> dict[str, list[str]]:
    """Resources of every job of the tiny default DAG as `--profile profiles/slurm` sets them."""
    cmd = [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "-n",
           "--configfile", str(TINY)]  # fmt: skip
    out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    jobs: dict[str, list[str]] = {}
    for block in re.split(r"^rule ", out.stdout + out.stderr, flags=re.MULTILINE)[1:]:
        rule = block.split(":", 1)[0]
        if rule == "all":  # no job: it only collects the targets
            continue
        found = re.search(r"^\s+resources: (.*)$", block, re.MULTILINE)
        jobs.setdefault(rule, []).append(found[1] if found else "")
    return jobs


def test_profile_takes_partitions_and_account_from_the_environment(tmp_path, monkeypatch):
    work = copy_workflow(tmp_path / "wf")
    env = _env(cluster=False, **PARTITIONS, SIM2MODEL_SLURM_ACCOUNT="proj42")
    jobs = _dry_run_resources(work, env)
    assert {"source_shard", "split_dataset", "train", "evaluate"} <= set(jobs)
    for rule, resources in jobs.items():
        partition = "gpu" if rule in TRAINING_RULES else "cpu"
        for res in resources:
            assert f"slurm_partition={partition}," in res + ",", (rule, res)
            assert "slurm_account=proj42" in res, (rule, res)

    # Every rule of the workflow, in the default DAG or not, is found by the profile.
    rules = subprocess.run([sys.executable, "-m", "snakemake", "--list-rules"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=120).stdout.split()  # fmt: skip
    from snakemake.profiles import ProfileConfigFileParser

    monkeypatch.chdir(work)
    for name, value in PARTITIONS.items():
        monkeypatch.setenv(name, value)
    with open("profiles/slurm/config.yaml") as profile:
        parsed = ProfileConfigFileParser().parse(profile)
    covered = {entry.split(":", 1)[0] for entry in parsed["set-resources"]}
    targets = {"all", *yaml.safe_load((work / "config/config.yaml").read_text())["studies"]}
    assert set(rules) - targets <= covered, "rules that workflow_rules() in the profile misses"

    unset = _dry_run_resources(work, _env(cluster=False))
    assert unset.keys() == jobs.keys()
    for rule, resources in unset.items():
        for res in resources:
            # not the literal "$SIM2MODEL_SLURM_PARTITION": nothing, so the cluster's default
            assert "slurm_partition" not in res and "slurm_account" not in res, (rule, res)


# --- on the cluster --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slurm_pipeline(slurm_cluster, tmp_path_factory):
    """The tiny DAG of two studies through SLURM, and its data products from a local run."""
    base = tmp_path_factory.mktemp("cluster")
    work = copy_workflow(base / "slurm")
    local = _workflow_copy(work, base / "local")
    run = cluster_snakemake(
        "default pipeline (tiny) via --profile profiles/slurm",
        work,
        "--profile", "profiles/slurm", "--profile", str(TEST_PROFILE),
        "--configfile", str(TINY), str(CLUSTER_STUDIES),
        env=_env(**PARTITIONS),
        timeout=480,
    )  # fmt: skip
    # The data products of every study (what its MANIFEST.sha256 lists), computed locally.
    manifests = sorted(str(p.relative_to(work)) for p in work.glob("results/*/MANIFEST.sha256"))
    start = time.monotonic()
    if manifests:
        snakemake(local, "--cores", "2", *manifests, configfiles=(TINY, CLUSTER_STUDIES))
    return run, local, time.monotonic() - start


def test_default_pipeline_on_slurm_matches_a_local_run(slurm_pipeline):
    run, local, local_s = slurm_pipeline
    _passed(run)
    expected = _job_stats(run.output)
    expected.pop("all", None)  # no job: it only collects the targets
    submitted: dict[str, int] = {}
    for job in run.jobs:
        submitted[job.rule] = submitted.get(job.rule, 0) + 1
    assert submitted == expected, "one SLURM job per job of the DAG"
    every_kind = {"source_shard", "split_dataset", "merge_testset", "train", "evaluate",
                  "regression_figures", "training_curves", "galsim_crb", "galsim_baseline",
                  "galsim_stamps", "galsim_reconstruction", "galsim_tables", "manifest",
                  "provenance", "cost_table", "reference_comparison", "posterior_calibration",
                  "galsim_posterior_predictive"}  # fmt: skip
    assert set(expected) == every_kind, "the GalSim DAG: every generic rule kind"
    for job in run.jobs:
        assert job.state == "COMPLETED", job
        # SIM2MODEL_SLURM_GPU_PARTITION for training, SIM2MODEL_SLURM_PARTITION for the rest
        assert job.partition == ("gpu" if job.rule in TRAINING_RULES else "cpu"), job
        assert "gpu" not in job.gres, f"train.gpus is 0: no GPU requested ({job})"
    done = snakemake(run.workdir, "--cores", "1", "-n", configfiles=(TINY, CLUSTER_STUDIES))
    assert "Nothing to be done" in done.stdout + done.stderr

    manifests = sorted(run.workdir.glob("results/*/MANIFEST.sha256"))
    assert "galsim" in {path.parent.name for path in manifests}
    files = 0
    for path in manifests:
        ours = path.read_text()
        theirs = (local / path.relative_to(run.workdir)).read_text()
        assert ours.strip(), path
        assert ours == theirs, f"data products differ between SLURM and local runs: {path}"
        files += len(ours.splitlines())
    NOTES.append(
        f"local --cores 2 run of the same data products: {local_s:.0f} s; MANIFEST.sha256 of "
        f"{', '.join(p.parent.name for p in manifests)} identical to the SLURM run's "
        f"({files} files)"
    )


def _installed_profile_run(base: Path) -> tuple[ClusterRun, str]:
    """(b) One shard with `--profile slurm`: the profile copied to $XDG_CONFIG_HOME/snakemake."""
    xdg = base / "xdg"
    shutil.copytree(REPO / "profiles" / "slurm", xdg / "snakemake" / "slurm")
    work = copy_workflow(base / "wf")
    target = "results/galsim/shards/v2/0000.h5"
    run = cluster_snakemake(
        "one shard via --profile slurm from $XDG_CONFIG_HOME, no SIM2MODEL_SLURM_* set",
        work,
        "--profile", "slurm", "--profile", str(TEST_PROFILE), "--configfile", str(TINY),
        "--", target,
        env=_env(XDG_CONFIG_HOME=str(xdg)),
        timeout=180,
    )  # fmt: skip
    return run, target


def _gpu_training_run(pipeline: ClusterRun, base: Path) -> tuple[ClusterRun, str]:
    """(c) One training job with `train: {gpus: 1}`, its inputs taken from the pipeline run."""
    work = _workflow_copy(pipeline.workdir, base / "wf")
    for products in ("shards/v2", "dataset/v2"):  # without .snakemake metadata: not rerun
        shutil.copytree(pipeline.workdir / "results/galsim" / products,
                        work / "results/galsim" / products)  # fmt: skip
    gpu = base / "gpu.yaml"
    gpu.write_text("train:\n  gpus: 1\n")
    target = "results/galsim/models/v2/xception/model.keras"
    run = cluster_snakemake(
        "one training job with train.gpus=1 on the fake GPU",
        work,
        "--profile", "profiles/slurm", "--profile", str(TEST_PROFILE),
        "--configfile", str(TINY), str(gpu), "--", target,
        env=_env(**PARTITIONS),
        timeout=240,
    )  # fmt: skip
    return run, target


@pytest.fixture(scope="module")
def small_runs(slurm_pipeline, tmp_path_factory):
    """(b) and (c), submitted at the same time (the cluster has room for both)."""
    pipeline, _, _ = slurm_pipeline
    base = tmp_path_factory.mktemp("small")
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        named = pool.submit(_installed_profile_run, base / "named")
        dataset = pipeline.workdir / "results/galsim/dataset/v2/train.h5"  # what (c) trains on
        gpu = pool.submit(_gpu_training_run, pipeline, base / "gpu") if dataset.exists() else None
        runs = {"named": named.result(), "gpu": gpu.result() if gpu else None}
    wall = time.monotonic() - start
    NOTES.append(f"the shard and GPU-training runs ran at the same time: {wall:.0f} s for both")
    return runs


def test_installed_profile_is_found_by_name(small_runs):
    """`snakemake --profile slurm` with the profile copied to $XDG_CONFIG_HOME/snakemake/slurm."""
    run, target = small_runs["named"]
    _passed(run)
    assert "Using profiles slurm and" in run.output
    # `executor: slurm` comes from the installed profile alone
    assert [job.rule for job in run.jobs] == ["source_shard"]
    job = run.jobs[0]
    assert job.state == "COMPLETED"
    assert job.partition == "debug", "no partition set: the cluster's default partition"
    assert (run.workdir / target).stat().st_size > 0


def test_training_with_a_gpu_gets_one_from_slurm(small_runs):
    """`train: {gpus: 1}` makes the training job ask SLURM for a GPU (--gpus=1) and get it."""
    if small_runs["gpu"] is None:
        pytest.fail("the pipeline run made no dataset to train on")
    run, target = small_runs["gpu"]
    _passed(run)
    assert [job.rule for job in run.jobs] == ["train"], "only the training job runs"
    job = run.jobs[0]
    assert job.state == "COMPLETED" and job.partition == "gpu"
    assert "TresPerJob=gres:gpu:1" in job.gres, f"--gpus=1 requested: {job.gres}"
    assert "JOB_GRES=gpu:1" in job.gres, f"one GPU allocated: {job.gres}"
    assert (run.workdir / target).stat().st_size > 0
    # The training job logs its devices before anything else (start_training_job ->
    # log_devices: "... CUDA_VISIBLE_DEVICES=<value>)", "None" when unset), so a completed job's
    # log has the line. SLURM exports the index of the one allocated GPU, 0, to the batch job
    # and to its srun step (the jobstep plugin passes --gpus=1): checked on this cluster with
    # sbatch -p gpu --gpus=1 and a step launched as the plugin launches it.
    log = (run.workdir / "logs/train/galsim/v2/xception.log").read_text(errors="replace")
    seen = re.search(r"CUDA_VISIBLE_DEVICES=(\S+?)\)?$", log, re.MULTILINE)
    assert seen, f"the training log names no CUDA_VISIBLE_DEVICES:\n{log[-3000:]}"
    assert seen[1] == "0", seen[0]
    NOTES.append(f"training job {job.slurm_id} saw CUDA_VISIBLE_DEVICES={seen[1]}")


@pytest.mark.slow
@pytest.mark.athena
def test_an_athena_run_is_a_slurm_job_of_its_own(slurm_cluster, tmp_path):
    """One tiny Athena++ run (16^3, MHD only) submitted by the executor; the binary comes from
    the build cache that tests/install_athena_deps.sh fills ($SIM2MODEL_ATHENA_CACHE)."""
    from sim2model.studies.turbulence.athdf import read_athdf
    from test_athena import ARCHIVE, TINY_ATHENA

    if not ARCHIVE.exists():
        skip_unless_required(
            f"Athena++ source archive not found at {ARCHIVE} (../shared absent)", REQUIRE_SHARED
        )
    if not os.environ.get("SIM2MODEL_ATHENA_CACHE"):
        skip_unless_required(
            "SIM2MODEL_ATHENA_CACHE unset: build Athena++ (tests/install_athena_deps.sh)",
            REQUIRE_CLUSTER,
        )
    work = copy_workflow(tmp_path / "wf")
    config = work / "athena.yaml"
    config.write_text(TINY_ATHENA.format(archive=ARCHIVE))
    target = "results/turbulence/athena/runs/mhd/r0/mhd.out2.00001.athdf"
    run = cluster_snakemake(
        "one Athena++ run (16^3, MHD only) as a SLURM job",
        work,
        "--profile", "profiles/slurm", "--profile", str(TEST_PROFILE),
        "--configfile", str(config), "--", target,
        env=_env(**PARTITIONS),
        timeout=600,
    )  # fmt: skip
    _passed(run)
    jobs = {job.rule: job for job in run.jobs}
    assert "turbulence_athena_run" in jobs and set(jobs) <= {
        "turbulence_athena_build",  # only when the cache was empty
        "turbulence_athena_run",
    }
    assert all(job.state == "COMPLETED" and job.partition == "cpu" for job in run.jobs)
    header, fields = read_athdf(work / target, ["rho"])
    assert header.time > 0 and np.isfinite(fields["rho"]).all()
