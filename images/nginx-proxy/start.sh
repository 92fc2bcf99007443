#!/bin/sh
# Fills in nginx.conf's listen address and upstream from the environment, then runs nginx in the foreground
# (extra arguments go to nginx: `berth-nginx-proxy -t` checks the result).
set -eu
: "${LISTEN:?set LISTEN, e.g. 127.0.0.1:8080}" "${UPSTREAM:?set UPSTREAM, e.g. 172.18.0.2:8888}"
sed -e "s|@LISTEN@|$LISTEN|" -e "s|@UPSTREAM@|$UPSTREAM|" /etc/berth/nginx-proxy.conf >/tmp/nginx.conf
exec nginx -c /tmp/nginx.conf "$@"
