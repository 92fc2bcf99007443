#!/usr/bin/env bash
# Prepare a Debian (bookworm) host for Berth's tests and benchmarks. Idempotent:
# every step that is already satisfied is skipped, so a second run is a no-op.
#
#   - installs whichever of docker.io mmdebstrap chromium docker-compose wrk pebble openssl is
#     missing (apt-get update only runs when something has to be installed)
#   - makes sure a Docker daemon answers: if `docker info` fails, starts dockerd
#     (systemd unit if systemd runs, else `nohup dockerd`, log in
#     /tmp/berth-dockerd.log) and waits up to 60 s for it
#
# Run as root (or a user with sudo). Works the same with CI=true or not.
set -euo pipefail

log() { echo "setup-host: $*"; }
die() { echo "setup-host: error: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "must run as root (or have sudo)"
  SUDO=(sudo -n)
fi

DOCKERD_LOG=/tmp/berth-dockerd.log
DOCKER_SOCK=/var/run/docker.sock
DID=0

# ---- packages -----------------------------------------------------------------
# package -> command that proves it is there. Checking commands (not dpkg state)
# keeps us from fighting an existing docker-ce / non-Debian docker install.
PKGS=(docker.io mmdebstrap chromium docker-compose wrk pebble openssl)
declare -A CMD=(
  [docker.io]="docker dockerd"
  [mmdebstrap]="mmdebstrap"
  [chromium]="chromium"
  [docker-compose]="docker-compose"
  [wrk]="wrk"
  [pebble]="pebble pebble-challtestsrv" # the ACME test CA (test/tls-acme.test.ts)
  [openssl]="openssl"                   # test certificates (test/helpers/test-certificates.ts)
)

missing=()
for pkg in "${PKGS[@]}"; do
  for c in ${CMD[$pkg]}; do
    if ! command -v "$c" >/dev/null 2>&1; then
      missing+=("$pkg")
      break
    fi
  done
done

if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get (Debian/Ubuntu only)"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
  DID=1
  for pkg in "${missing[@]}"; do
    for c in ${CMD[$pkg]}; do
      command -v "$c" >/dev/null 2>&1 || die "$pkg installed but '$c' is still not on PATH"
    done
  done
else
  log "packages present: ${PKGS[*]}"
fi

# ---- docker daemon ----------------------------------------------------------------
docker_ok() { "${SUDO[@]}" docker info >/dev/null 2>&1; }

if docker_ok; then
  log "docker daemon running ($("${SUDO[@]}" docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
else
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    log "starting docker via systemd"
    "${SUDO[@]}" systemctl start docker || true
  fi
  dockerd_pid=""
  if ! docker_ok; then
    if pgrep -x dockerd >/dev/null 2>&1; then
      log "dockerd already running (pid $(pgrep -x dockerd | head -n1)), waiting for it"
    else
      log "starting dockerd in the background (log: $DOCKERD_LOG)"
      dockerd_pid=$("${SUDO[@]}" bash -c "nohup dockerd >>'$DOCKERD_LOG' 2>&1 </dev/null & echo \$!")
    fi
  fi
  fail_dockerd() {
    echo "setup-host: error: $*" >&2
    if [ -f "$DOCKERD_LOG" ]; then
      echo "---- last 40 lines of $DOCKERD_LOG ----" >&2
      tail -n 40 "$DOCKERD_LOG" >&2
    fi
    exit 1
  }
  deadline=$((SECONDS + 60))
  until [ -S "$DOCKER_SOCK" ] && docker_ok; do
    if [ -n "$dockerd_pid" ] && ! kill -0 "$dockerd_pid" 2>/dev/null; then
      fail_dockerd "dockerd (pid $dockerd_pid) exited during startup"
    fi
    [ $SECONDS -lt $deadline ] || fail_dockerd "docker daemon did not come up within 60 s"
    sleep 1
  done
  DID=1
  log "docker daemon up ($("${SUDO[@]}" docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
fi

if [ "$DID" = 0 ]; then
  log "nothing to do"
else
  log "done"
fi
