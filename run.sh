#!/usr/bin/env bash
# Install dondoc into .venv (first time, or when pyproject.toml changed) and run it.
# With DONDOC_TOKEN set: the bot, with config.toml (created from config.example.toml if missing).
# Without a token: the offline demo against the built-in Bot API emulator.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/dondoc ] || [ pyproject.toml -nt .venv/.installed ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -e .
  touch .venv/.installed
fi
[ -f scripts/system-packages.sh ] && bash scripts/system-packages.sh || true
if [ -z "${DONDOC_TOKEN:-}" ]; then
  exec .venv/bin/dondoc demo "$@"
fi
if [ ! -f config.toml ]; then
  cp config.example.toml config.toml
  echo "dondoc: created config.toml from config.example.toml: put your admins' Telegram ids and the office group id in it"
fi
exec .venv/bin/dondoc run --config config.toml "$@"
