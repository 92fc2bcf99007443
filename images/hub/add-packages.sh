#!/bin/sh
# add-packages PKG...: installs the Debian packages the base image lacks, and nothing when it has them all (an
# offline base from images/build.sh has them, so the build needs no mirror).
set -eu
missing=
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $pkg"
done
[ -n "$missing" ] || exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
rm -rf /var/lib/apt/lists/*
