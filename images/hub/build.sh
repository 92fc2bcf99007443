#!/usr/bin/env bash
# Builds berth/hub with Docker alone (images/hub/Dockerfile: Debian's Node.js, `npm ci` inside the build), on the
# Debian trixie base that images/build.sh makes with mmdebstrap, so no container registry is contacted. Docker's
# layer cache makes a rebuild after a change to src/ take seconds; `npm ci` reruns only when the lockfile changes.
#   bash images/hub/build.sh [TAG]
# BERTH_EXTRA_CA_CERTS: a PEM file of certificates the build must trust besides Debian's (an intercepting HTTPS
# proxy in front of the npm registry); default: the host's own additions, /usr/local/share/ca-certificates/*.crt.
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG=${1:-berth/hub:latest}
BASE=berth/debian:trixie-node
export DOCKER_BUILDKIT=0

# The hub's base, and the default user image the shipped hub.yaml names.
bash images/build.sh hub-base lab

extra=""
if [ -n "${BERTH_EXTRA_CA_CERTS:-}" ]; then
  extra=$(cat "$BERTH_EXTRA_CA_CERTS")
elif compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  extra=$(cat /usr/local/share/ca-certificates/*.crt)
fi

log="${TMPDIR:-/tmp}/berth-images/image-hub.log"
mkdir -p "$(dirname "$log")"
if ! docker build -f images/hub/Dockerfile --build-arg "BASE=$BASE" --build-arg "EXTRA_CA_CERTS=$extra" \
  --label berth.test=true -t "$TAG" . >"$log" 2>&1; then
  echo "---- last 40 lines of $log ----" >&2
  tail -n 40 "$log" >&2
  echo "images/hub/build.sh: docker build failed" >&2
  exit 1
fi
docker run --rm --network none "$TAG" --help >/dev/null
# Rebuilds leave the previous image dangling; drop ours.
docker image prune -f --filter label=berth.test=true >/dev/null 2>&1 || true
echo "$TAG: built"
