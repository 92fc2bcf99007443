#!/usr/bin/env bash
# Builds berth/hub:latest offline: stages this checkout's dist/ and production node_modules with the host's
# node binary on a Debian rootfs made by images/build.sh. Rebuilt on every run (a few seconds).
#   bash images/hub/build.sh [TAG]
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG=${1:-berth/hub:latest}
BASE=berth/debian:bookworm-backend
export DOCKER_BUILDKIT=0

# The default user image and the rootfs this image sits on.
bash images/build.sh lab backend

node -e 'const [maj] = process.versions.node.split("."); if (+maj < 20) { console.error("node >= 20 needed"); process.exit(1) }'
[ -d node_modules ] || npm ci
npm run build >/dev/null

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app"
cp "$(command -v node)" "$stage/node"
cp -r package.json package-lock.json dist "$stage/app/"
cp -r node_modules "$stage/app/node_modules"
(cd "$stage/app" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null 2>&1)
cp images/hub/Dockerfile "$stage/Dockerfile"

docker build -q --build-arg "BASE=$BASE" --label berth.image=hub -t "$TAG" "$stage" >/dev/null
docker run --rm --network none "$TAG" --help >/dev/null
echo "$TAG: built"
