#!/usr/bin/env bash
# Installs what Herald's build and tests need from Debian when it is missing: hiredis (build), redis-server
# (run and test), PyYAML for /usr/bin/python3 (the deployment file tests), graphviz (the docs' diagrams are
# checked against their sources), curl and nodejs (examples/ are run by ExamplesTests), haproxy and nginx
# (load balancer tests) and chromium (browser tests), and schemathesis from PyPI (the API conformance test)
# in a venv at .build/venv-schemathesis. Installs nothing when all of it is there.
#   scripts/install-deps.sh           # everything the tests need
#   scripts/install-deps.sh --serve   # only what building and serving need: hiredis and redis-server
#   scripts/install-deps.sh --bench   # what bench/run.sh needs: --serve, plus nginx with the nchan module and
#                                     # matplotlib from PyPI (for bench/plot.py) in a venv at .build/venv-bench
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case $mode in
  test | --serve | --bench) ;;
  *) echo "usage: scripts/install-deps.sh [--serve | --bench]" >&2; exit 2 ;;
esac
serve_only=false
[ "$mode" = test ] || serve_only=true
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev pkg-config)
has redis-server || missing+=(redis-server)
has redis-cli || missing+=(redis-tools)
if ! $serve_only; then
  /usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
  has dot || missing+=(graphviz)
  has curl || missing+=(curl)
  has node || has nodejs || missing+=(nodejs)
  has haproxy || missing+=(haproxy)
  has nginx || missing+=(nginx-light)
  has chromium || missing+=(chromium)
  # why: Debian's python3 builds a venv only with python3-venv (ensurepip); pyenv's has it built in.
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
fi
if [ "$mode" = --bench ]; then
  has nginx || missing+=(nginx)
  [ -e /usr/lib/nginx/modules/ngx_nchan_module.so ] || missing+=(libnginx-mod-nchan)
  has curl || missing+=(curl)
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# why: a venv, because Debian's pip refuses to install next to the system Python (PEP 668); pinned, because
# a new schemathesis may add checks, and the test must fail only when Herald or docs/openapi.yaml change.
if [ "$mode" = --bench ]; then
  # why: pinned, so that plots from two runs are drawn alike; a venv, for the same reason as schemathesis.
  matplotlib_version=3.10.8
  venv=.build/venv-bench
  if [ "$("$venv/bin/python" -c 'import matplotlib; print(matplotlib.__version__)' 2>/dev/null)" != "$matplotlib_version" ]; then
    echo "installing: matplotlib $matplotlib_version in $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "matplotlib==$matplotlib_version"
  fi
fi
$serve_only && exit 0
# why: the Flask hook of examples/hook runs in its own venv, pinned like schemathesis below.
flask_version=3.1.3
venv=.build/venv-examples
if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("flask"))' 2>/dev/null)" != "$flask_version" ]; then
  echo "installing: flask $flask_version in $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "flask==$flask_version"
fi
schemathesis_version=4.32.5
venv=.build/venv-schemathesis
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $schemathesis_version" ]; then
  echo "installing: schemathesis $schemathesis_version in $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
