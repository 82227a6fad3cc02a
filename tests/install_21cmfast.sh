#!/usr/bin/env bash
# Install the optional 21cmFAST backend into the active python (idempotent):
#   . .venv/bin/activate && bash tests/install_21cmfast.sh
# apt-installs the FFTW/GSL headers and a compiler when missing (Debian/Ubuntu, as root or via
# sudo), then pip-installs requirements-21cmfast.txt under constraints.txt unless py21cmfast
# already imports. 21cmFAST and classy compile from source: about 2-4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
python=${PYTHON:-python}

bash tests/apt_install_missing.sh libfftw3-dev libgsl-dev pkg-config build-essential

if "$python" -c "import py21cmfast" 2>/dev/null; then
    echo "py21cmfast already importable"
else
    "$python" -m pip install -r requirements-21cmfast.txt -c constraints.txt
    "$python" -c "import py21cmfast; print('py21cmfast', py21cmfast.__version__)"
fi
echo "install_21cmfast.sh: $((SECONDS - start)) s"
