#!/usr/bin/env bash
# What `npm test` needs besides the npm dependencies, installed when missing,
# so that `npm install && npm test` passes on a fresh machine by itself:
#   - the Debian packages of the real peers the interoperability tests start
#     (scripts/install-peers.sh: Qpid Proton, RabbitMQ, Chromium, Cyrus SASL);
#   - the Angular example's own dependencies (examples/angular has its own
#     package.json and lockfile; test/browser/angular-app.test.ts builds it).
# When everything is present this costs one dpkg query and one file read.
# `npm test` runs it first; .ci/run runs `npm test`.
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

bash scripts/install-peers.sh

# The Angular example: installed when node_modules does not hold exactly what
# its lockfile lists (npm ci writes node_modules/.package-lock.json; packages
# marked optional, other platforms' binaries, are never installed).
angular_installed() {
  node -e '
    const dir = "examples/angular";
    let lock, installed;
    try {
      lock = require(`./${dir}/package-lock.json`).packages;
      installed = require(`./${dir}/node_modules/.package-lock.json`).packages;
    } catch {
      process.exit(1);
    }
    for (const [path, entry] of Object.entries(lock)) {
      if (path === "" || entry.optional) continue;
      if (installed[path]?.version !== entry.version) process.exit(1);
    }
  '
}

if angular_installed; then
  log "examples/angular dependencies already installed"
else
  # Its install scripts only build native add-ons from source when no prebuilt
  # binary fits; the build needs none of them.
  log "npm ci --prefix examples/angular"
  npm ci --prefix examples/angular --ignore-scripts --no-audit --no-fund --loglevel=error
fi
