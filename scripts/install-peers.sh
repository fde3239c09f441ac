#!/usr/bin/env bash
# Installs the real AMQP 1.0 peers and tools that the tests and the benchmarks
# start (Apache Qpid Proton C and Python, RabbitMQ, Chromium...), from Debian's
# packages. Used by .ci/run and by `npm run bench`. Needs root when something
# is missing; installed packages are detected and not installed again, so
# re-running it costs a dpkg query per package.
set -euo pipefail

# Debian packages the tests use (test/support/peers/ names the package in its
# error when one is missing, so keep the two lists in step).
APT_PACKAGES=(
  python3-qpid-proton            # Proton Python binding: codec/message cross-checks, broker.py
  libqpid-proton11-dev           # Proton C headers and pkg-config file, to build the C examples
  libqpid-proton11-dev-examples  # /usr/share/proton/examples/c: broker.c, send.c, receive.c
  python-qpid-proton-doc         # /usr/share/proton/examples/python: broker.py and friends
  rabbitmq-server                # RabbitMQ 3.10 with its AMQP 1.0 plugin
  gcc libc6-dev pkg-config       # building the Proton C examples
  openssl                        # TLS transport tests make their certificates with it
  # Cyrus SASL for SCRAM against Proton (test/interop/rx-tls-scram.test.ts): Debian's
  # Proton has no Cyrus, so the test builds a plugin for it (headers) and needs
  # the SCRAM/PLAIN mechanism plugins and saslpasswd2 to make a sasldb
  libsasl2-dev libsasl2-modules sasl2-bin
  # Kerberos for SASL GSSAPI (test/interop/rx-gssapi.test.ts starts a throwaway realm):
  krb5-kdc                       # the KDC (krb5kdc) and kdb5_util
  krb5-admin-server              # kadmin.local: principals and the service keytab
  krb5-user                      # kinit, klist, kdestroy
  libkrb5-dev                    # headers to build the kerberos npm package (scripts/install-kerberos.sh)
  libsasl2-modules-gssapi-mit    # Cyrus's GSSAPI mechanism, for the Proton server
  # Headless Chromium for test/browser: the example pages run in a real browser,
  # driven by playwright-core (whose own browser download cannot be used here)
  chromium
)

log() { printf '==> %s\n' "$*" >&2; }

missing_packages() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_packages() {
  local missing
  missing="$(missing_packages)"
  if [[ -z "$missing" ]]; then
    log "Debian packages already installed"
    return
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    log "missing Debian packages and not root: $(echo $missing)"
    exit 1
  fi
  log "installing Debian packages: $(echo $missing)"
  export DEBIAN_FRONTEND=noninteractive
  # rabbitmq-server's postinst starts the system service where an init system
  # lets it; the tests start private nodes instead, so forbid service starts
  # for the duration of the install (the standard policy-rc.d mechanism).
  local policy=/usr/sbin/policy-rc.d added_policy=false
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    added_policy=true
  fi
  local rc attempt
  for attempt in 1 2 3; do
    rc=0
    {
      apt-get update -qq > /tmp/rx-amqp-apt.log 2>&1 &&
        apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${APT_PACKAGES[@]}" >> /tmp/rx-amqp-apt.log 2>&1
    } || rc=$?
    [[ "$rc" -eq 0 ]] && break
    log "apt-get failed (exit $rc, attempt $attempt of 3)"
    sleep $((attempt * 5))
  done
  if [[ "$added_policy" == true ]]; then rm -f "$policy"; fi
  if [[ "$rc" -ne 0 ]]; then
    tail -n 40 /tmp/rx-amqp-apt.log >&2 || true
    log "apt-get failed (exit $rc)"
    exit "$rc"
  fi
}

install_packages

# The optional kerberos npm package, built from source into node_modules (only
# once npm ci has made node_modules; the GSSAPI tests build it themselves otherwise).
if [[ -d "$(dirname "$0")/../node_modules" ]]; then bash "$(dirname "$0")/install-kerberos.sh"; fi
