#!/bin/sh
# Starts the hub as the unprivileged user `berth`. The container starts as root only to do two things first:
#  - give `berth` the group that owns the Docker socket (its id differs from host to host, so it is read here at
#    run time; BERTH_DOCKER_GID overrides it), since the hub starts users' containers through that socket;
#  - hand the data directory to `berth` when an older image (which ran as root) left it owned by root.
# The hub keeps exactly one capability, CAP_NET_BIND_SERVICE, so that hub.bind and hub.tls.redirect_http may name
# ports 443 and 80 (compose.yaml runs the hub on the host's network, where ports below 1024 need it). It is passed
# through the ambient set, the only one that survives the switch to `berth` and the exec of node; every other
# capability is dropped from the bounding set too, so no setuid binary can hand one back.
# Started as another user already (`user:` in compose), it runs the hub as that user unchanged.
set -eu
hub="/opt/berth/dist/main.js"
# As src/process-options.ts says (a small heap).
export MALLOC_ARENA_MAX=2
node="node --max-semi-space-size=1 --optimize-for-size"
if [ "$(id -u)" != 0 ]; then exec $node "$hub" "$@"; fi

socket=/var/run/docker.sock
case "${DOCKER_HOST:-}" in unix://*) socket=${DOCKER_HOST#unix://} ;; esac
gid=${BERTH_DOCKER_GID:-}
if [ -z "$gid" ] && [ -S "$socket" ]; then gid=$(stat -c %g "$socket"); fi

data=${BERTH_DATA_DIR:-/srv/berth/data}
if [ -d "$data" ] && [ "$(stat -c %u "$data")" = 0 ]; then chown -R berth:berth "$data"; fi

groups=berth
if [ -n "$gid" ]; then groups="$groups,$gid"; fi

# A container started without the capability (cap_drop) cannot pass it on: the hub then runs with none, and says so.
bounding=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
if [ $((0x$bounding & 0x400)) -ne 0 ]; then
  keep=-all,+net_bind_service
else
  keep=-all
  echo "berth-entrypoint: the container has no CAP_NET_BIND_SERVICE (cap_drop?), so the hub cannot listen on ports below 1024" >&2
fi
exec setpriv --reuid=berth --regid=berth --groups="$groups" \
  --inh-caps="$keep" --ambient-caps="$keep" --bounding-set="$keep" -- $node "$hub" "$@"
