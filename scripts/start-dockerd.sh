#!/usr/bin/env bash
# start-dockerd.sh -- make sure a Docker engine answers on /var/run/docker.sock.
#
# OFFLINE TEST INFRASTRUCTURE. promdash users run their own Docker engine;
# this script exists for the CI / development machines of this project, where
# no engine is running at boot (no systemd) and Debian's docker.io provides it.
#
# Idempotent:
#   * if `docker info` already works, exit 0 and touch nothing;
#   * otherwise (must be root) install docker.io via apt if dockerd is missing,
#     start dockerd detached (setsid + nohup, so it outlives the calling shell)
#     with its log in $PROMDASH_DOCKERD_LOG (default /var/log/promdash-dockerd.log),
#   * wait up to $PROMDASH_DOCKERD_WAIT seconds (default 30) for the socket
#     and for `docker info` to succeed; fail with one clear line otherwise.
set -euo pipefail

LOG=${PROMDASH_DOCKERD_LOG:-/var/log/promdash-dockerd.log}
WAIT=${PROMDASH_DOCKERD_WAIT:-30}
SOCK=/var/run/docker.sock

# Debian's client lives in /usr/bin; /usr/local/bin/docker (if any) is a
# client only. Either works against the socket.
docker_cli() {
    if [ -x /usr/bin/docker ]; then echo /usr/bin/docker
    elif command -v docker >/dev/null 2>&1; then command -v docker
    else echo ""; fi
}

engine_ok() {
    local cli; cli=$(docker_cli)
    [ -n "$cli" ] && "$cli" info >/dev/null 2>&1
}

die() { echo "start-dockerd: ERROR: $*" >&2; exit 1; }

if engine_ok; then
    echo "start-dockerd: engine already running ($SOCK)"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "docker engine not reachable and not root: cannot start dockerd"

DOCKERD=$(command -v dockerd || true)
if [ -z "$DOCKERD" ] && [ -x /usr/sbin/dockerd ]; then DOCKERD=/usr/sbin/dockerd; fi
if [ -z "$DOCKERD" ]; then
    echo "start-dockerd: dockerd missing, installing docker.io via apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-get install -y -qq docker.io >/dev/null || die "apt-get install docker.io failed"
    DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)
    [ -x "$DOCKERD" ] || die "docker.io installed but dockerd not found"
fi

# A stale socket / pid file from a dead daemon would make dockerd refuse to
# start; only remove them if no dockerd process is alive.
if ! pgrep -x dockerd >/dev/null 2>&1; then
    rm -f /var/run/docker.pid
    [ -S "$SOCK" ] && rm -f "$SOCK"
    mkdir -p "$(dirname "$LOG")"
    echo "start-dockerd: starting $DOCKERD (log: $LOG)"
    setsid nohup "$DOCKERD" >>"$LOG" 2>&1 </dev/null &
    disown || true
else
    echo "start-dockerd: dockerd process exists, waiting for it to answer"
fi

start=$SECONDS
while (( SECONDS - start < WAIT )); do
    if [ -S "$SOCK" ] && engine_ok; then
        echo "start-dockerd: engine ready after $(( SECONDS - start ))s"
        exit 0
    fi
    sleep 0.5
done
die "dockerd did not answer on $SOCK within ${WAIT}s (see $LOG)"
