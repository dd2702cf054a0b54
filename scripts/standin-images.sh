#!/usr/bin/env bash
# standin-images.sh -- build LOCAL STAND-INS for the images promdash's demo
# stack uses, tagged with the official names.
#
# ============================ OFFLINE TEST INFRASTRUCTURE ====================
# Real users pull the real images (prom/prometheus, prom/alertmanager,
# python:3.12-slim) from
# Docker Hub; nothing in promdash needs this script. These stand-ins exist
# only because the CI / development machines of this project have a Docker
# engine but NO reachable container registry. Docker never pulls an image that
# already exists locally under the same name, so once these are built the
# product's default stack runs unchanged, offline.
# =============================================================================
#
# What gets built (each skipped if the tag already exists, unless --force):
#
#  $PROM_IMAGE   (default prom/prometheus:v3.15.0, promdash's default image)
#     A Prometheus 3 NAME ON A PROMETHEUS 2 BINARY: no Prometheus 3 binary can
#     be had here, so this is Debian's /usr/bin/prometheus + /usr/bin/promtool
#     (Debian bookworm ships Prometheus 2.42.0, so /api/v1/status/buildinfo
#     reports 2.42.0, not 3.15.0). promdash's generated prometheus.yml is
#     valid for both; what 3.x answers differently is tested on fixtures built
#     from its API documentation (tests/data/prom3). FROM scratch: the two
#     binaries, the shared libraries ldd reports for them,
#     busybox-static as /bin/sh and friends, /etc/passwd with nobody. Layout
#     mirrors the official image: /bin/prometheus, /bin/promtool,
#     /etc/prometheus/prometheus.yml (the upstream 2.x example config: 3.x's
#     sets scrape_native_histograms, which 2.42 refuses), data dir
#     /prometheus owned by nobody (65534), USER nobody, EXPOSE 9090,
#     VOLUME /prometheus, WORKDIR /prometheus, ENTRYPOINT ["/bin/prometheus"],
#     and the official 3.x CMD (--config.file, --storage.tsdb.path: since 3.0
#     the image ships no console libraries and its CMD no longer names them).
#     Debian's binary serves its (classic) web UI from /usr/share/prometheus/web;
#     templates and Prometheus' own css/js are copied, the vendored JS
#     libraries (symlinks into /usr/share/javascript, ~220 MB) are not, so the
#     HTML UI is incomplete. The HTTP API is complete.
#
#  $AM_IMAGE     (default prom/alertmanager:v0.34.1)
#     FROM scratch, built like the Prometheus one from Debian's
#     prometheus-alertmanager package (0.25, so /api/v2/status reports 0.25.0,
#     not 0.27.0): /bin/alertmanager and /bin/amtool, their shared libraries,
#     busybox-static, /usr/share/prometheus/alertmanager (the templates and the
#     "no UI" page Debian's binary reads from there), the upstream HA example
#     as /etc/alertmanager/alertmanager.yml, data dir /alertmanager owned by
#     nobody, USER nobody, EXPOSE 9093, VOLUME /alertmanager, WORKDIR
#     /alertmanager, ENTRYPOINT ["/bin/alertmanager"] and the official CMD.
#
#  $PYTHON_IMAGE (default python:3.12-slim)
#     Debian bookworm minbase (debootstrap) with python3, python3-venv and
#     ca-certificates. The Python inside is Debian bookworm's 3.11, NOT 3.12:
#     good enough for a stand-in. Like the official images it offers `python`,
#     `pip` in /usr/local/bin (first on PATH): /usr/local is a venv, because
#     Debian's system pip refuses global installs (PEP 668).
#     The host's extra CA certificates (/usr/local/share/ca-certificates/*.crt)
#     are installed in the image (containers here reach PyPI / Debian only
#     through a TLS-intercepting proxy), and /etc/pip.conf points pip at the
#     system CA bundle, like the host's /etc/pip.conf does. (Debian's bundled
#     pip 23.0.1 is patched to use the system bundle and pip >= 24.2 uses
#     truststore, so today this matters only for other pip versions or
#     --use-deprecated=legacy-certs; it is cheap insurance.) Libraries that
#     ship their own certifi bundle (requests, httpx) do NOT trust the proxy
#     inside containers. The host's pip find-links / extra-index-url entries
#     name host directories and are deliberately NOT copied into the image.
#     The debootstrap result is cached as a tarball in
#     ${PROMDASH_STANDIN_CACHE:-/var/cache/promdash-standins}, so reruns
#     skip the ~60 s bootstrap.
#
# Usage: scripts/standin-images.sh [--force] [--verify] [--only prometheus|alertmanager|python]
#   --force    rebuild even if the tag exists (the debootstrap cache is kept;
#              delete the cache directory to re-bootstrap)
#   --verify   after building (or skipping), run each image: Prometheus must
#              answer /-/ready and /api/v1/status/buildinfo on a published
#              port, Alertmanager /-/ready and /api/v2/status; a
#              `docker build` FROM the Python image must be able to
#              `python -m pip install prometheus-client` (needs PyPI access)
#   --only X   handle only one of the three images
#
# Needs root, a running engine (scripts/start-dockerd.sh starts one), and, for
# the first Python build, Debian's apt mirror. Host packages used: prometheus,
# prometheus-alertmanager, busybox-static, debootstrap (installed via apt if
# missing).
set -euo pipefail

PROM_IMAGE=${PROM_IMAGE:-prom/prometheus:v3.15.0}
AM_IMAGE=${AM_IMAGE:-prom/alertmanager:v0.34.1}
PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.12-slim}
CACHE_DIR=${PROMDASH_STANDIN_CACHE:-/var/cache/promdash-standins}
# Empty: debootstrap uses its own default mirror (the one these machines reach);
# set PROMDASH_DEBIAN_MIRROR to use another.
DEBIAN_MIRROR=${PROMDASH_DEBIAN_MIRROR:-}
SUITE=bookworm
DEBOOTSTRAP_INCLUDE=python3,python3-venv,ca-certificates
HOST_CA_DIR=/usr/local/share/ca-certificates
LABEL_KEY=org.promdash.standin

FORCE=0
VERIFY=0
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --force) FORCE=1 ;;
        --verify) VERIFY=1 ;;
        --only) shift; ONLY=${1:-} ;;
        --only=*) ONLY=${1#--only=} ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
        *) echo "standin-images: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$ONLY" in ""|prometheus|alertmanager|python) ;; *) echo "standin-images: --only takes prometheus, alertmanager or python" >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
T0=$SECONDS
log() { printf '[standin %3ds] %s\n' "$(( SECONDS - T0 ))" "$*"; }
die() { echo "standin-images: ERROR: $*" >&2; exit 1; }

if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, docker)"

if ! "$DOCKER" info >/dev/null 2>&1; then
    if [ -x "$HERE/start-dockerd.sh" ]; then
        log "docker engine not reachable: running $HERE/start-dockerd.sh"
        "$HERE/start-dockerd.sh"
    else
        die "docker engine not reachable (start dockerd first)"
    fi
fi

WORK=$(mktemp -d /tmp/promdash-standin.XXXXXX)
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

need_pkg() {  # need_pkg FILE PACKAGE: apt-get install PACKAGE unless FILE exists
    [ -e "$1" ] && return 0
    log "installing Debian package $2 (for $1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null \
        || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; } \
        || die "could not install $2"
}

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

image_size() { "$DOCKER" image inspect -f '{{.Size}}' "$1" | awk '{printf "%.1f MB", $1/1e6}'; }

OLD_ID=""
should_build() {  # should_build TAG -> 0 if we must build it; sets OLD_ID
    OLD_ID=""
    if image_exists "$1"; then
        if [ "$FORCE" -eq 0 ]; then
            log "$1 already exists ($(image_size "$1")): skipping (use --force to rebuild)"
            return 1
        fi
        OLD_ID=$("$DOCKER" image inspect -f '{{.Id}}' "$1")
    fi
    return 0
}

drop_replaced() {  # drop_replaced TAG: remove the image --force replaced, if now untagged
    [ -n "$OLD_ID" ] || return 0
    [ "$("$DOCKER" image inspect -f '{{.Id}}' "$1")" != "$OLD_ID" ] || return 0
    if [ -z "$("$DOCKER" image inspect -f '{{join .RepoTags ""}}' "$OLD_ID" 2>/dev/null)" ]; then
        "$DOCKER" rmi "$OLD_ID" >/dev/null 2>&1 \
            && log "removed the replaced image ${OLD_ID#sha256:}" \
            || log "note: replaced image ${OLD_ID#sha256:} still in use, not removed"
    fi
}

# ------------------------------------------------- a FROM-scratch root file system
scratch_rootfs() {  # scratch_rootfs ROOT BINARY...: the binaries in ROOT/bin, with what they need
    local root=$1 lib bin applet; shift
    mkdir -p "$root"/{bin,etc,tmp}
    chmod 1777 "$root/tmp"
    cp "$@" "$root/bin/"
    # Shared libraries (on bookworm: libc.so.6 and the loader only). Copy each
    # to the path the loader will look it up at, following symlinks.
    for lib in $(for bin in "$@"; do ldd "$bin"; done | grep -o '/[^ ]*' | sort -u); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
        # the loader resolves libc via /lib/x86_64-linux-gnu; Debian's /lib is
        # a symlink to usr/lib, which does not matter inside the image.
    done

    # busybox-static as /bin/sh, /bin/ls, ... (like quay.io/prometheus/busybox)
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done

    cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
    cat > "$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
    printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
}

# ---------------------------------------------------------------- Prometheus
build_prometheus() {
    local t=$SECONDS ctx="$WORK/prom" root="$WORK/prom/rootfs"
    need_pkg /usr/bin/prometheus prometheus
    need_pkg /bin/busybox busybox-static
    log "building $PROM_IMAGE from Debian's $(dpkg-query -W -f '${Version}' prometheus) binaries"
    mkdir -p "$root"/{etc/prometheus,usr/share/prometheus}
    scratch_rootfs "$root" /usr/bin/prometheus /usr/bin/promtool

    # The upstream example config the official 2.x image ships (3.x's adds
    # scrape_native_histograms, which Debian's 2.42 does not know).
    cat > "$root/etc/prometheus/prometheus.yml" <<'EOF'
# my global config
global:
  scrape_interval: 15s # Set the scrape interval to every 15 seconds. Default is every 1 minute.
  evaluation_interval: 15s # Evaluate rules every 15 seconds. The default is every 1 minute.
  # scrape_timeout is set to the global default (10s).

# Alertmanager configuration
alerting:
  alertmanagers:
    - static_configs:
        - targets:
          # - alertmanager:9093

# Load rules once and periodically evaluate them according to the global 'evaluation_interval'.
rule_files:
  # - "first_rules.yml"
  # - "second_rules.yml"

# A scrape configuration containing exactly one endpoint to scrape:
# Here it's Prometheus itself.
scrape_configs:
  # The job name is added as a label `job=<job_name>` to any timeseries scraped from this config.
  - job_name: "prometheus"

    # metrics_path defaults to '/metrics'
    # scheme defaults to 'http'.

    static_configs:
      - targets: ["localhost:9090"]
EOF

    # Debian's binary reads its classic web UI from /usr/share/prometheus/web.
    # Keep its own files; drop the symlinks to vendored JS (~220 MB).
    cp -a /usr/share/prometheus/web "$root/usr/share/prometheus/web"
    find "$root/usr/share/prometheus/web" -type l -delete

    cat > "$ctx/Dockerfile" <<EOF
# OFFLINE TEST STAND-IN for the official prom/prometheus image, built by
# promdash scripts/standin-images.sh from Debian's prometheus package: its
# Prometheus is $(dpkg-query -W -f '${Version}' prometheus), whatever the tag says.
FROM scratch
LABEL $LABEL_KEY="true" \\
      $LABEL_KEY.source="debian prometheus $(dpkg-query -W -f '${Version}' prometheus)" \\
      org.opencontainers.image.description="promdash offline test stand-in; real users pull the real image"
COPY rootfs/ /
WORKDIR /prometheus
RUN ["/bin/sh", "-c", "chown -R nobody:nobody /etc/prometheus /prometheus"]
USER       nobody
EXPOSE     9090
VOLUME     [ "/prometheus" ]
ENTRYPOINT [ "/bin/prometheus" ]
# The official 3.x CMD (2.x's also named the console libraries, gone in 3.0).
CMD        [ "--config.file=/etc/prometheus/prometheus.yml", \\
             "--storage.tsdb.path=/prometheus" ]
EOF
    DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$PROM_IMAGE" "$ctx" >/dev/null
    # smoke test: the binary runs as nobody inside the image
    local ver
    ver=$("$DOCKER" run --rm "$PROM_IMAGE" --version 2>&1 | head -1)
    log "built $PROM_IMAGE ($(image_size "$PROM_IMAGE")) in $(( SECONDS - t ))s: $ver"
}

verify_prometheus() {
    local t=$SECONDS name="promdash-standin-verify-$$" port ok=0
    need_pkg /usr/bin/curl curl
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    log "verify $PROM_IMAGE: docker run -p 127.0.0.1:$port:9090"
    "$DOCKER" run -d --name "$name" -p "127.0.0.1:$port:9090" "$PROM_IMAGE" >/dev/null
    local i
    for i in $(seq 1 60); do
        if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then ok=1; break; fi
        sleep 0.25
    done
    local build=""
    [ "$ok" -eq 1 ] && build=$(curl -fsS "http://127.0.0.1:$port/api/v1/status/buildinfo" || true)
    if [ "$ok" -ne 1 ] || [[ "$build" != *'"status":"success"'* ]]; then
        "$DOCKER" logs "$name" 2>&1 | tail -20 >&2 || true
        "$DOCKER" rm -f -v "$name" >/dev/null 2>&1 || true
        die "$PROM_IMAGE did not become ready / serve buildinfo"
    fi
    "$DOCKER" rm -f -v "$name" >/dev/null
    log "verify $PROM_IMAGE: ready, buildinfo $build ($(( SECONDS - t ))s)"
}

# -------------------------------------------------------------- Alertmanager
build_alertmanager() {
    local t=$SECONDS ctx="$WORK/am" root="$WORK/am/rootfs" version
    need_pkg /usr/bin/prometheus-alertmanager prometheus-alertmanager
    need_pkg /bin/busybox busybox-static
    version=$(dpkg-query -W -f '${Version}' prometheus-alertmanager)
    log "building $AM_IMAGE from Debian's $version binaries"
    mkdir -p "$root"/{etc/alertmanager,usr/share/prometheus}
    scratch_rootfs "$root" /usr/bin/prometheus-alertmanager /usr/bin/amtool
    mv "$root/bin/prometheus-alertmanager" "$root/bin/alertmanager"
    # Debian's binary reads its templates and its "no UI" page from here.
    cp -a /usr/share/prometheus/alertmanager "$root/usr/share/prometheus/alertmanager"

    # The upstream example config the official image ships (examples/ha).
    cat > "$root/etc/alertmanager/alertmanager.yml" <<'EOF'
route:
  group_by: ['alertname']
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  receiver: 'web.hook'
receivers:
  - name: 'web.hook'
    webhook_configs:
      - url: 'http://127.0.0.1:5001/'
inhibit_rules:
  - source_match:
      severity: 'critical'
    target_match:
      severity: 'warning'
    equal: ['alertname', 'dev', 'instance']
EOF

    cat > "$ctx/Dockerfile" <<EOF
# OFFLINE TEST STAND-IN for the official prom/alertmanager image, built by promdash
# scripts/standin-images.sh from Debian's prometheus-alertmanager package.
FROM scratch
LABEL $LABEL_KEY="true" \\
      $LABEL_KEY.source="debian prometheus-alertmanager $version" \\
      org.opencontainers.image.description="promdash offline test stand-in; real users pull the real image"
COPY rootfs/ /
RUN ["/bin/sh", "-c", "mkdir -p /alertmanager && chown -R nobody:nobody /etc/alertmanager /alertmanager"]
USER       nobody
EXPOSE     9093
VOLUME     [ "/alertmanager" ]
WORKDIR    /alertmanager
ENTRYPOINT [ "/bin/alertmanager" ]
CMD        [ "--config.file=/etc/alertmanager/alertmanager.yml", \\
             "--storage.path=/alertmanager" ]
EOF
    DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$AM_IMAGE" "$ctx" >/dev/null
    # smoke test: the binary runs as nobody inside the image
    local ver
    ver=$("$DOCKER" run --rm "$AM_IMAGE" --version 2>&1 | head -1)
    log "built $AM_IMAGE ($(image_size "$AM_IMAGE")) in $(( SECONDS - t ))s: $ver"
}

verify_alertmanager() {
    local t=$SECONDS name="promdash-standin-verify-am-$$" port ok=0
    need_pkg /usr/bin/curl curl
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    log "verify $AM_IMAGE: docker run -p 127.0.0.1:$port:9093"
    "$DOCKER" run -d --name "$name" -p "127.0.0.1:$port:9093" "$AM_IMAGE" >/dev/null
    local i
    for i in $(seq 1 60); do
        if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then ok=1; break; fi
        sleep 0.25
    done
    local status=""
    [ "$ok" -eq 1 ] && status=$(curl -fsS "http://127.0.0.1:$port/api/v2/status" || true)
    if [ "$ok" -ne 1 ] || [[ "$status" != *'"versionInfo"'* ]]; then
        "$DOCKER" logs "$name" 2>&1 | tail -20 >&2 || true
        "$DOCKER" rm -f -v "$name" >/dev/null 2>&1 || true
        die "$AM_IMAGE did not become ready / serve /api/v2/status"
    fi
    "$DOCKER" rm -f -v "$name" >/dev/null
    log "verify $AM_IMAGE: ready, /api/v2/status answers ($(( SECONDS - t ))s)"
}

# -------------------------------------------------------------------- Python
python_rootfs_tarball() {  # prints the path of the cached debootstrap tarball
    local tarball="$CACHE_DIR/debian-$SUITE-minbase-${DEBOOTSTRAP_INCLUDE//,/-}.tar"
    if [ -s "$tarball" ]; then
        log "using cached $SUITE rootfs $tarball ($(du -h "$tarball" | cut -f1))" >&2
        echo "$tarball"; return 0
    fi
    need_pkg /usr/sbin/debootstrap debootstrap
    local t=$SECONDS rootfs="$WORK/debootstrap"
    log "debootstrap --variant=minbase --include=$DEBOOTSTRAP_INCLUDE $SUITE ${DEBIAN_MIRROR:-(its default mirror)} (about 60 s, cached afterwards)" >&2
    # shellcheck disable=SC2086  # no mirror argument at all when none is set
    if ! debootstrap --variant=minbase --include="$DEBOOTSTRAP_INCLUDE" \
            "$SUITE" "$rootfs" $DEBIAN_MIRROR >"$WORK/debootstrap.log" 2>&1; then
        tail -20 "$WORK/debootstrap.log" >&2
        die "debootstrap failed (full log above was $WORK/debootstrap.log)"
    fi
    # slim it like the official -slim images: no package cache, no apt lists
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
           "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log "$rootfs"/dev/*
    mkdir -p "$CACHE_DIR"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    log "debootstrap done in $(( SECONDS - t ))s, cached as $tarball ($(du -h "$tarball" | cut -f1))" >&2
    echo "$tarball"
}

build_python() {
    local t=$SECONDS tarball rootfs="$WORK/pyroot"
    tarball=$(python_rootfs_tarball)
    log "building $PYTHON_IMAGE from the $SUITE rootfs"
    mkdir -p "$rootfs"
    tar --numeric-owner -xpf "$tarball" -C "$rootfs"
    # Minimal /dev for the chroot steps below (removed again before import;
    # Docker provides /dev at run time).
    mkdir -p "$rootfs/dev"
    mknod -m 666 "$rootfs/dev/null" c 1 3
    mknod -m 666 "$rootfs/dev/zero" c 1 5
    mknod -m 666 "$rootfs/dev/random" c 1 8
    mknod -m 666 "$rootfs/dev/urandom" c 1 9

    # Host CA certificates -> system trust store of the image.
    local n=0 crt
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    for crt in "$HOST_CA_DIR"/*.crt; do
        [ -e "$crt" ] || continue
        cp "$crt" "$rootfs/usr/local/share/ca-certificates/"
        n=$((n + 1))
    done
    chroot "$rootfs" /usr/sbin/update-ca-certificates >/dev/null 2>&1 \
        || die "update-ca-certificates failed in the rootfs"
    log "installed $n host CA certificate(s) from $HOST_CA_DIR"

    # pip should trust the system bundle (a certifi bundle lacks the proxy CA).
    # The host's find-links/extra-index-url point at host directories and are
    # intentionally not copied.
    cat > "$rootfs/etc/pip.conf" <<'EOF'
# promdash offline test stand-in: trust the system CA bundle, which contains
# the CA of this CI network's TLS-intercepting proxy.
[global]
cert = /etc/ssl/certs/ca-certificates.crt
disable-pip-version-check = true
timeout = 180
EOF

    # /usr/local becomes a venv: python, python3, pip, pip3 in /usr/local/bin
    # (first on PATH), installs go to /usr/local/lib/python3.11/site-packages.
    chroot "$rootfs" /usr/bin/python3 -m venv /usr/local \
        || die "python3 -m venv /usr/local failed in the rootfs"
    find "$rootfs/usr/local" -name __pycache__ -type d -prune -exec rm -rf {} +
    rm -f "$rootfs"/usr/local/bin/activate* "$rootfs"/usr/local/bin/Activate.ps1
    local pyver
    pyver=$(chroot "$rootfs" /usr/local/bin/python -c 'import platform; print(platform.python_version())')

    rm -rf "$rootfs"/tmp/* "$rootfs"/root/.cache "$rootfs"/dev/*
    tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
        --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "ENV PYTHON_VERSION=$pyver" \
        --change "LABEL $LABEL_KEY=true $LABEL_KEY.source=\"debian $SUITE python3 $pyver\"" \
        --change 'CMD ["python3"]' \
        --message "promdash offline test stand-in for $PYTHON_IMAGE (Debian $SUITE python $pyver)" \
        - "$PYTHON_IMAGE" >/dev/null
    rm -rf "$rootfs"
    local ver
    ver=$("$DOCKER" run --rm "$PYTHON_IMAGE" python -c 'import ssl, sys; print(sys.version.split()[0], ssl.OPENSSL_VERSION)')
    log "built $PYTHON_IMAGE ($(image_size "$PYTHON_IMAGE")) in $(( SECONDS - t ))s: python $ver"
}

verify_python() {
    local t=$SECONDS ctx="$WORK/pyverify" tag="promdash-standin-verify:$$"
    mkdir -p "$ctx"
    cat > "$ctx/Dockerfile" <<EOF
FROM $PYTHON_IMAGE
RUN python -m pip install --no-cache-dir prometheus-client \\
 && python -c "import prometheus_client, sys; print('prometheus_client ok on', sys.version.split()[0])"
EOF
    log "verify $PYTHON_IMAGE: docker build with 'python -m pip install prometheus-client' (needs PyPI)"
    if ! DOCKER_BUILDKIT=0 "$DOCKER" build --no-cache --rm -t "$tag" "$ctx" >"$WORK/pyverify.log" 2>&1; then
        tail -20 "$WORK/pyverify.log" >&2
        die "pip install inside a build FROM $PYTHON_IMAGE failed"
    fi
    "$DOCKER" rmi "$tag" >/dev/null
    log "verify $PYTHON_IMAGE: $(grep -o 'prometheus_client ok on [0-9].*' "$WORK/pyverify.log" | head -1) ($(( SECONDS - t ))s)"
}

# ---------------------------------------------------------------------- main
log "OFFLINE TEST INFRASTRUCTURE: local stand-ins for official images (real users pull the real ones)"
if [ -z "$ONLY" ] || [ "$ONLY" = prometheus ]; then
    if should_build "$PROM_IMAGE"; then build_prometheus; drop_replaced "$PROM_IMAGE"; fi
    if [ "$VERIFY" -eq 1 ]; then verify_prometheus; fi
fi
if [ -z "$ONLY" ] || [ "$ONLY" = alertmanager ]; then
    if should_build "$AM_IMAGE"; then build_alertmanager; drop_replaced "$AM_IMAGE"; fi
    if [ "$VERIFY" -eq 1 ]; then verify_alertmanager; fi
fi
if [ -z "$ONLY" ] || [ "$ONLY" = python ]; then
    if should_build "$PYTHON_IMAGE"; then build_python; drop_replaced "$PYTHON_IMAGE"; fi
    if [ "$VERIFY" -eq 1 ]; then verify_python; fi
fi
log "done in $(( SECONDS - T0 ))s"
