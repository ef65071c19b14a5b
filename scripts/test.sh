#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite.
#   bash scripts/test.sh            (what the README and .ci/run call)
# Installs: the package with its [test] extras (pip) and Debian's chromium for
# the real-browser test (apt-get, as root or through sudo). Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium (for the browser test)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== installing arpes_sigma with its test extras"
python -m pip install -q --disable-pip-version-check -e '.[test]'

export JAX_PLATFORMS=cpu
export MPLBACKEND=Agg
export PYTHONHASHSEED=0
# one persistent XLA cache for every process of the run (pytest, notebook
# kernels, the Voila kernel, dask workers): identical programs compile once
export JAX_COMPILATION_CACHE_DIR="${JAX_COMPILATION_CACHE_DIR:-$(mktemp -d)/jax-cache}"
echo "== running the test suite"
python -m pytest -q "$@" tests notebooks --nbmake --nbmake-timeout=300
