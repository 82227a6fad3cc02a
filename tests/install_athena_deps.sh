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

missing=()
for pkg in g++ make libhdf5-dev libfftw3-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    sudo=$([[ $(id -u) -eq 0 ]] || echo sudo)
    echo "apt-get install ${missing[*]}"
    $sudo apt-get update -qq
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

archive=../shared/athena/athena-ed4d1e3.tar.gz
if [[ -n "${SIM2MODEL_ATHENA_CACHE:-}" && -f "$archive" ]]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp -r Snakefile rules envs config report profiles workflow_scripts athena "$work"/
    printf 'turbulence:\n  athena:\n    code: {archive: %s}\n' "$(realpath "$archive")" >"$work/archive.yaml"
    (cd "$work" && "${SNAKEMAKE:-$OLDPWD/.venv/bin/snakemake}" --cores 2 \
        --configfile config/turbulence_athena.yaml archive.yaml -- turbulence_athena_build)
    ls "$SIM2MODEL_ATHENA_CACHE"/*/athena
fi
echo "install_athena_deps.sh: $((SECONDS - start)) s"
