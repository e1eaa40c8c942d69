#!/usr/bin/env bash
# Recompile requirements.lock — the whole dependency tree with SHA-256 hashes — from the direct pins in
# requirements.txt and requirements-dev.txt. Run after changing a pin; scripts/setup.sh installs the lock with
# --require-hashes, so an offline intranet install gets exactly these files.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
  --no-emit-find-links --output-file requirements.lock requirements-dev.txt
