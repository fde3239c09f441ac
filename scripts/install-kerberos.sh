#!/usr/bin/env bash
# Builds the optional `kerberos` npm package (SASL GSSAPI's GSS-API, see
# src/node/kerberos-gssapi.ts) for the GSSAPI interop tests, and links it
# into node_modules. rx-amqp only lists it as an optional peer dependency:
# a plain `npm install` never fetches it (nor can npm install a root
# project's optional peer without saving it), so it is built in a project of
# its own under .peers/ and node_modules/kerberos links there; `npm ci`
# removes the link, and the next run puts it back without building again.
#
# Its prebuilt binaries are downloaded from GitHub, which cannot be reached
# here, so it is built from source: node-gyp against the local Node headers
# (npm_config_nodedir) and MIT Kerberos' headers (Debian's libkrb5-dev, from
# scripts/install-peers.sh). npm 11 runs a dependency's install script only
# when its project's package.json allows it (allowScripts), as ours there does.
#
# Idempotent and cheap when done: exits at once when the package loads. Run
# by scripts/install-peers.sh (when node_modules exists) and by the GSSAPI
# tests' setup (test/support/peers/kerberos.ts) when the package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

KERBEROS_VERSION=7.0.0   # within peerDependencies.kerberos (^7.0.0) of package.json
BUILD_DIR=.peers/kerberos-npm

log() { printf '==> %s\n' "$*" >&2; }
loads() { node -e "require('kerberos')" > /dev/null 2>&1; }

if loads; then exit 0; fi
if [[ ! -d node_modules ]]; then
  log "no node_modules yet: run npm ci first (kerberos is linked into it)"
  exit 1
fi
mkdir -p "$BUILD_DIR"
# Several test files may ask at once: one builds, the others wait for it.
exec 9> "$BUILD_DIR/.lock"
flock 9
if loads; then exit 0; fi

built="$BUILD_DIR/node_modules/kerberos"
if [[ "$(node -p "try { require('./$built/package.json').version } catch { '' }")" != "$KERBEROS_VERSION" ]] \
  || ! (cd "$built" && node -e "require('.')" > /dev/null 2>&1); then
  if [[ ! -f /usr/include/gssapi/gssapi.h ]]; then
    log "kerberos needs MIT Kerberos' headers: install the Debian package libkrb5-dev (scripts/install-peers.sh does)"
    exit 1
  fi
  # node-gyp builds against the installed Node's headers instead of downloading them.
  if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then export npm_config_nodedir=/usr; fi
  log "building the kerberos npm package ${KERBEROS_VERSION} from source"
  cat > "$BUILD_DIR/package.json" <<JSON
{
  "private": true,
  "description": "rx-amqp's build of the optional kerberos package for its GSSAPI tests (scripts/install-kerberos.sh)",
  "dependencies": { "kerberos": "${KERBEROS_VERSION}" },
  "allowScripts": { "kerberos": true }
}
JSON
  (cd "$BUILD_DIR" && npm install --no-audit --no-fund --no-package-lock --loglevel=error) > "$BUILD_DIR/build.log" 2>&1 || {
    tail -n 40 "$BUILD_DIR/build.log" >&2
    log "npm install kerberos failed (log: $BUILD_DIR/build.log)"
    exit 1
  }
fi
ln -sfn "../$built" node_modules/kerberos
if ! loads; then
  tail -n 40 "$BUILD_DIR/build.log" >&2 || true
  log "kerberos was built but does not load (did its native build run? log: $BUILD_DIR/build.log)"
  exit 1
fi
log "kerberos ${KERBEROS_VERSION} is in node_modules"
