#!/usr/bin/env bash
# apt-get install the Debian/Ubuntu packages named as arguments that are not installed yet
# (as root, or via sudo); a no-op when all are. Used by the install_*.sh scripts.
set -euo pipefail
missing=()
for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    sudo=$([[ $(id -u) -eq 0 ]] || echo sudo)
    echo "apt-get install ${missing[*]}"
    $sudo apt-get update -qq
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
