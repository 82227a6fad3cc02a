#!/usr/bin/env bash
# Install what building Athena++ (turbulence source athena) needs, then pre-build it (idempotent):
#   bash tests/install_athena_deps.sh
# apt-installs a C++ compiler, make, HDF5 and FFTW headers when missing (Debian/Ubuntu, as root or
# via sudo). With SIM2MODEL_ATHENA_CACHE set, it then builds the Athena++ binary of
# config/turbulence_athena.yaml from ../shared/athena into that folder (about 3-4 minutes on 2
# cores; a no-op once built), so the slow Athena++ tests reuse it instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

bash tests/apt_install_missing.sh g++ make libhdf5-dev libfftw3-dev

archive=../shared/athena/athena-ed4d1e3.tar.gz
python=${PYTHON:-.venv/bin/python}
binary=$("$python" - <<'PY'
import os, sys, yaml
sys.path.insert(0, "workflow_scripts")
from sim2model.studies.turbulence.athena import build_key, configure_flags
athena = yaml.safe_load(open("config/schema/turbulence.yaml"))["properties"]["athena"]
build = athena["properties"]["build"]["properties"]
commit = athena["properties"]["code"]["properties"]["commit"]["default"]
flags = configure_flags({"mpi": False, "extra_flags": build["extra_flags"]["default"]})
print(os.path.join(os.environ.get("SIM2MODEL_ATHENA_CACHE", ""), build_key(commit, flags), "athena"))
PY
)
if [[ -x "$binary" ]]; then
    echo "Athena++ already built: $binary"
elif [[ -n "${SIM2MODEL_ATHENA_CACHE:-}" && -f "$archive" ]]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp -r Snakefile rules envs config report profiles workflow_scripts athena "$work"/
    printf 'turbulence:\n  athena:\n    code: {archive: %s}\n' "$(realpath "$archive")" >"$work/archive.yaml"
    (cd "$work" && "${SNAKEMAKE:-$OLDPWD/.venv/bin/snakemake}" --cores 2 --rerun-triggers mtime \
        --configfile config/turbulence_athena.yaml archive.yaml -- turbulence_athena_build)
    ls -l "$binary"
fi
echo "install_athena_deps.sh: $((SECONDS - start)) s"
