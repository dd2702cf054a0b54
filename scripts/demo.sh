#!/usr/bin/env bash
# One command from a fresh machine to a running demo stack and the dashboard.
#
# Installs promdash into ./.venv, then starts the demo with `promdash up`:
# through Docker when an engine answers, else as local processes. When neither
# a Docker engine nor a `prometheus` binary is here, it installs Debian's
# prometheus package as root, or says exactly what to install.
# Extra arguments go to `promdash up` (e.g. --detach, --runtime local).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/promdash ]; then
  echo "demo: installing promdash into .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q -e .
fi

docker_answers() {
  .venv/bin/python -c 'import docker, sys; docker.from_env().ping()' >/dev/null 2>&1
}

if ! docker_answers && ! command -v prometheus >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "demo: no Docker engine and no prometheus binary; installing Debian's prometheus"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  else
    echo "demo: needs a running Docker engine or a prometheus binary on PATH;" \
         "install one (Debian: sudo apt-get install prometheus) and run this again" >&2
    exit 4
  fi
fi

exec .venv/bin/promdash up "$@"
