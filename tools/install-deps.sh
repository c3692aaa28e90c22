#!/bin/sh
# install-deps.sh - the Debian 12 packages smsgate builds and tests with.
# Run as root; does nothing when everything is already installed.
# swaks and dovecot-core (its auth service, for SMTP AUTH) serve
# tests/func/postfix_test.py; postfix brings smtp-source and smtp-sink.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config
      postgresql postgresql-contrib libpq-dev libjson-c-dev
      python3 groff-base procps postfix clang libclang-rt-14-dev
      libetpan-dev libxml2-dev nettle-dev libphonenumber-dev libcurl4-gnutls-dev libmicrohttpd-dev kannel kannel-extras curl
      swaks dovecot-core libmilter-dev miltertest"
missing=
for p in $pkgs; do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
# the unprivileged user the daemons run as (user = in smsgate.conf)
if [ "$(id -u)" = 0 ] && ! id -u smsgate >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin smsgate
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
