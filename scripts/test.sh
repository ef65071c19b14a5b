#!/usr/bin/env bash
# Install everything the test suite needs, then run the whole suite.
#   bash scripts/test.sh            (what the README and .ci/run call)
# Installs: the package with its [test] extras (pip), under the pins of
# binder/requirements.txt as constraints, so the suite always runs the one
# tested set of versions (the front end the browser test drives included); and
# Debian's chromium for the real-browser test (apt-get, as root or through
# sudo; never asks for input). Playwright drives /usr/bin/chromium and never
# downloads a browser. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium (for the browser test)"
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "scripts/test.sh: /usr/bin/chromium is missing and installing it needs root or sudo" >&2
      exit 1
    fi
    SUDO=(sudo -n)  # -n: fail at once rather than wait for a password nobody types
  fi
  ${SUDO[@]+"${SUDO[@]}"} apt-get update -qq
  ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== installing arpes_sigma with its test extras (pins: binder/requirements.txt)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
python -m pip install -q --disable-pip-version-check -c binder/requirements.txt -e '.[test]'

export JAX_PLATFORMS=cpu
export MPLBACKEND=Agg
export PYTHONHASHSEED=0
# Everything the run writes goes into one scratch folder, removed when the script
# exits: pytest's tmp_path folders (pytest would otherwise keep the last three
# runs' in /tmp), dask's worker scratch space, and one persistent XLA cache for
# every process of the run (pytest, notebook kernels, the Voila kernel, dask
# workers: identical programs compile once; some 25 MB). A JAX_COMPILATION_CACHE_DIR
# the caller sets is used and left alone.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export JAX_COMPILATION_CACHE_DIR="${JAX_COMPILATION_CACHE_DIR:-$scratch/jax-cache}"
export DASK_TEMPORARY_DIRECTORY="$scratch/dask"
echo "== running the test suite"
# --durations: the slowest tests are listed at the end, so CI time can be watched
python -m pytest -q --durations=25 --basetemp="$scratch/pytest" "$@" tests notebooks --nbmake --nbmake-timeout=300
