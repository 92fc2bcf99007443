#!/usr/bin/env bash
# Build Berth's images offline: no container registry is contacted.
# Every image starts from a Debian rootfs made by mmdebstrap (only the Debian
# package mirror is needed) and imported with `docker import`.
#
#   bash images/build.sh                  build whatever is missing (or stale)
#   bash images/build.sh --force          rebuild everything, rootfs included
#   bash images/build.sh backend nginx    limit to some images
#   bash images/build.sh hub-base         only the hub image's base (images/hub/build.sh builds on it)
#   bash images/build.sh -v               stream build output instead of logging it
#
# Images (all labelled berth.test=true):
#   berth/debian:trixie-lab            rootfs: jupyterhub 5.2, jupyterlab 4, jupyter-server 2, ipykernel, git
#   berth/debian:bookworm-singleuser   rootfs: jupyterhub 3.0, jupyter-notebook 6.4, python3-ipykernel
#   berth/debian:bookworm-backend      rootfs: python3-tornado, nginx-light
#   berth/debian:trixie-node           rootfs: nodejs 20, ca-certificates (the hub image's base)
#   berth/singleuser:latest  (lab)     the default user image: JupyterHub 5 singleuser, JupyterLab, jovyan/1000, :8888
#   berth/singleuser:test    (singleuser)  JupyterHub 3.0 singleuser + classic notebook, for the older protocol
#   berth/backend:test                 tornado test backend (images/backend/backend.py), :8888
#   berth/nginx:test                   nginx-light, <any>/1k and <any>/1m, :8888
#   berth/nginx-proxy:test             nginx-light as a one-worker reverse proxy (LISTEN, UPSTREAM), for bench/proxy.ts
#
# An image that exists is left alone ("present") unless its files under
# images/<name>/ or its base rootfs changed since it was built ("stale" ->
# rebuilt; only the cheap `docker build` step reruns). Env knobs:
#   BERTH_DEBIAN_MIRROR (mmdebstrap default), BERTH_IMAGES_LOGDIR (${TMPDIR:-/tmp}/berth-images)
set -euo pipefail

cd "$(dirname "$0")"
IMAGES_DIR=$(pwd)
SELF="$IMAGES_DIR/$(basename "$0")"

MIRROR=${BERTH_DEBIAN_MIRROR:-}
LOGDIR=${BERTH_IMAGES_LOGDIR:-${TMPDIR:-/tmp}/berth-images}
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The engine may be 20.10 without buildx: always use the legacy builder.
export DOCKER_BUILDKIT=0

FORCE=0
VERBOSE=0
WANT=()
usage() { sed -n '2,9p' "$SELF" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in
    -f | --force) FORCE=1 ;;
    -v | --verbose) VERBOSE=1 ;;
    -h | --help) usage; exit 0 ;;
    lab | singleuser | backend | nginx | nginx-proxy | hub-base) WANT+=("$arg") ;;
    *) echo "build.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=(lab singleuser backend nginx nginx-proxy)

# ---- what to build ----------------------------------------------------------
# rootfs key -> Debian suite / packages; its tag is berth/debian:<suite>-<key>.
# trixie carries JupyterHub 5.2 and JupyterLab 4; bookworm's JupyterHub 3.0 stays
# so that both generations of the single-user protocol are tested.
declare -A ROOTFS_SUITE=(
  [lab]=trixie
  [singleuser]=bookworm
  [backend]=bookworm
  [node]=trixie
)
declare -A ROOTFS_PKGS=(
  [lab]="jupyterhub,jupyterlab,python3-jupyter-server,python3-ipykernel,git,passwd,ca-certificates"
  [singleuser]="jupyterhub,jupyter-notebook,python3-ipykernel,passwd,ca-certificates"
  [backend]="python3-tornado,nginx-light"
  [node]="nodejs,ca-certificates"
)
declare -A ROOTFS_TAG=()
for key in "${!ROOTFS_SUITE[@]}"; do ROOTFS_TAG[$key]="berth/debian:${ROOTFS_SUITE[$key]}-$key"; done
# image name (= folder under images/) -> tag / rootfs key
declare -A IMAGE_TAG=(
  [lab]="berth/singleuser:latest"
  [singleuser]="berth/singleuser:test"
  [backend]="berth/backend:test"
  [nginx]="berth/nginx:test"
  [nginx-proxy]="berth/nginx-proxy:test"
)
declare -A IMAGE_ROOTFS=(
  [lab]=lab
  [singleuser]=singleuser
  [backend]=backend
  [nginx]=backend
  [nginx-proxy]=backend
)

# ---- helpers ----------------------------------------------------------------
die() { echo "build.sh: error: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker not found (run scripts/setup-host.sh)"
docker info >/dev/null 2>&1 || die "docker daemon not reachable (run scripts/setup-host.sh)"

mkdir -p "$LOGDIR"
# Serialise concurrent invocations (e.g. two test runs at once).
exec 9>"$LOGDIR/.lock"
flock 9

exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
label() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

# Content hash of images/<name>/ (names + contents, order-stable).
files_hash() {
  (cd "$IMAGES_DIR/$1" && find . -type f ! -name '*.pyc' -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# run_logged LOGFILE CMD...: run CMD with output to LOGFILE (or the terminal with -v);
# on failure print the log tail.
run_logged() {
  local log=$1; shift
  if [ "$VERBOSE" = 1 ]; then
    "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
  fi
  if ! "$@" >"$log" 2>&1; then
    echo "---- last 40 lines of $log ----" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
}

now() { date +%s; }

build_rootfs() {
  local key=$1 tag=${ROOTFS_TAG[$1]} pkgs=${ROOTFS_PKGS[$1]}
  local log="$LOGDIR/rootfs-$key.log" t0
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found (run scripts/setup-host.sh)"
  t0=$(now)
  echo "$tag: building rootfs with mmdebstrap ($pkgs), log: $log"
  local -a mm=(
    mmdebstrap --variant=apt --include="$pkgs"
    --aptopt='Acquire::Retries "3"'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-include=/usr/share/locale/locale.alias'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    "${ROOTFS_SUITE[$key]}" -
  )
  [ -z "$MIRROR" ] || mm+=("$MIRROR")
  local -a imp=(
    docker import
    --change "LABEL berth.test=true"
    --change "LABEL berth.rootfs.packages=$pkgs"
    --change "ENV PATH=$DEFAULT_PATH"
    --change "ENV LANG=C.UTF-8"
    --change 'CMD ["/bin/bash"]'
    - "$tag"
  )
  # Stream the tarball straight into docker import; if mmdebstrap fails midway the
  # (truncated) import is removed again.
  if ! run_logged "$log" bash -c 'set -o pipefail; "${@:2:$1}" | "${@:$(($1 + 2))}"' \
    _ "${#mm[@]}" "${mm[@]}" "${imp[@]}"; then
    docker image rm -f "$tag" >/dev/null 2>&1 || true
    die "$tag: mmdebstrap/docker import failed"
  fi
  echo "$tag: built ($(($(now) - t0))s)"
}

# ensure_rootfs KEY: make sure the base exists and matches the package list.
declare -A ROOTFS_DONE=()
ensure_rootfs() {
  local key=$1 tag=${ROOTFS_TAG[$1]}
  [ -z "${ROOTFS_DONE[$key]:-}" ] || return 0
  ROOTFS_DONE[$key]=1
  if [ "$FORCE" = 1 ] || ! exists "$tag" ||
    [ "$(label "$tag" berth.rootfs.packages)" != "${ROOTFS_PKGS[$key]}" ]; then
    build_rootfs "$key"
  else
    echo "$tag: present"
  fi
}

verify_image() {
  local name=$1 tag=$2
  local -a run=(docker run --rm --label berth.test=true --network none)
  case "$name" in
    lab)
      "${run[@]}" "$tag" jupyterhub-singleuser --version &&
        "${run[@]}" "$tag" jupyter-lab --version >/dev/null &&
        [ "$("${run[@]}" "$tag" id -u)" = 1000 ]
      ;;
    singleuser)
      "${run[@]}" "$tag" jupyterhub-singleuser --version &&
        "${run[@]}" "$tag" jupyter-notebook --version >/dev/null &&
        [ "$("${run[@]}" "$tag" id -u)" = 1000 ]
      ;;
    backend) "${run[@]}" "$tag" python3 -c 'import tornado.web, tornado.websocket' ;;
    nginx) "${run[@]}" "$tag" nginx -t -q -c /etc/berth/nginx.conf ;;
    nginx-proxy) "${run[@]}" -e LISTEN=127.0.0.1:8080 -e UPSTREAM=127.0.0.1:8888 "$tag" berth-nginx-proxy -t -q ;;
  esac
}

build_image() {
  local name=$1 tag=${IMAGE_TAG[$1]} key=${IMAGE_ROOTFS[$1]}
  local base=${ROOTFS_TAG[${IMAGE_ROOTFS[$1]}]}
  local fh state="" t0 log="$LOGDIR/image-$name.log"

  fh=$(files_hash "$name")
  if [ "$FORCE" = 0 ] && exists "$tag"; then
    if [ "$(label "$tag" berth.build.files)" != "$fh" ]; then
      state="stale: images/$name changed"
    elif exists "$base" && [ "$(label "$tag" berth.build.base)" != "$(image_id "$base")" ]; then
      state="stale: base $base changed"
    else
      echo "$tag: present"
      return 0
    fi
  fi

  ensure_rootfs "$key"
  t0=$(now)
  [ -z "$state" ] || echo "$tag: $state, rebuilding"
  run_logged "$log" docker build \
    --build-arg "BASE=$base" \
    --label "berth.build.files=$fh" \
    --label "berth.build.base=$(image_id "$base")" \
    -t "$tag" "$IMAGES_DIR/$name" ||
    die "$tag: docker build failed"
  if ! verify_image "$name" "$tag" >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    docker image rm -f "$tag" >/dev/null 2>&1 || true
    die "$tag: built but failed its smoke test (removed)"
  fi
  echo "$tag: built ($(($(now) - t0))s)"
}

for name in "${WANT[@]}"; do
  if [ "$name" = hub-base ]; then ensure_rootfs node; else build_image "$name"; fi
done
# Builds leave dangling intermediate images behind when tags move; drop ours.
docker image prune -f --filter label=berth.test=true >/dev/null 2>&1 || true
