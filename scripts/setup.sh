#!/usr/bin/env bash
# Installs what the app and its tests need on a fresh Debian machine: a venv with the pinned packages and,
# for the browser tests and CJK rendering, Debian's chromium and Noto CJK fonts. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium chromium-driver)
# grep reads all of fc-list (no -q): under pipefail an early exit SIGPIPEs fc-list and the check fails at random
fc-list : family 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need_apt+=(fonts-noto-cjk)
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)   # the Spark engine (pyspark)
# the Word bulletin's test converts it to PDF (LibreOffice headless) and reads the text back (pdftotext)
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
# `make serve`: several app processes behind nginx (scripts/serve_many.py); its own config, no system service used
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need_apt+=(nginx-light)
if [ ${#need_apt[@]} -gt 0 ] && [ "${SKIP_APT:-0}" != "1" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" fontconfig >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# the whole dependency tree, every file checked against its SHA-256 (requirements.lock, compiled by scripts/lock.sh
# from the direct pins of requirements.txt and requirements-dev.txt)
.venv/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
