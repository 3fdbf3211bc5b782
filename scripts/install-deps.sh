#!/usr/bin/env bash
# Installs what Herald's build and tests need from Debian when it is missing: hiredis (build), redis-server
# (run and test), PyYAML for /usr/bin/python3 (the deployment file tests), haproxy and nginx (load balancer
# tests) and chromium (browser tests). Installs nothing when all of it is there.
set -euo pipefail
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev pkg-config)
has redis-server || missing+=(redis-server)
has redis-cli || missing+=(redis-tools)
/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
has haproxy || missing+=(haproxy)
has nginx || missing+=(nginx-light)
has chromium || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
