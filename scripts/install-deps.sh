#!/usr/bin/env bash
# Installs what Herald needs from Debian when it is missing: hiredis (build), redis-server (run and test).
set -euo pipefail
missing=()
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev pkg-config)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
