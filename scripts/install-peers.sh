#!/usr/bin/env bash
# Installs the real AMQP 1.0 peers and tools that the tests and the benchmarks
# start (Apache Qpid Proton C and Python, RabbitMQ, Chromium...), from Debian's
# packages. Used by `npm test` (scripts/prepare-tests.sh) and `npm run bench`.
# Installed packages are detected and not installed again: with everything
# present it costs one dpkg query. Installing needs root (or sudo without a
# password); otherwise it names the missing packages and the command to run.
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

# The packages of APT_PACKAGES not installed, one a line (one dpkg query for all).
missing_packages() {
  local installed
  installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null | awk '$4 == "installed" { print $1 }' || true)"
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    grep -qxF "$pkg" <<< "$installed" || printf '%s\n' "$pkg"
  done
}

install_packages() {
  if ! command -v dpkg-query > /dev/null; then
    log "no dpkg here (the tests expect Debian 12 or a derivative): install these packages' equivalents yourself: ${APT_PACKAGES[*]}"
    exit 1
  fi
  local missing
  missing="$(missing_packages)"
  if [[ -z "$missing" ]]; then
    log "Debian packages already installed"
    return
  fi
  missing="$(echo $missing)"
  if [[ "$(id -u)" -ne 0 ]]; then
    # Passwordless sudo (a CI runner, a dev container) does the install here.
    if command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
      log "installing Debian packages with sudo: $missing"
      sudo -n bash "$0"
      return
    fi
    log "the interoperability tests need Debian packages that are not installed: $missing"
    log "install them as root, then run the tests again:"
    log "    sudo bash scripts/install-peers.sh"
    log "(or: apt-get install -y --no-install-recommends $missing)"
    log "unit tests alone need none of them: npx vitest run src"
    exit 1
  fi
  log "installing Debian packages: $missing"
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
