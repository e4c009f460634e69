#!/usr/bin/env bash
# Install what the tests need (Python packages into .venv; OCR system packages when root) and run them.
set -euo pipefail
cd "$(dirname "$0")"
[ -f scripts/system-packages.sh ] && bash scripts/system-packages.sh || true
if [ ! -x .venv/bin/pytest ] || [ pyproject.toml -nt .venv/.installed-test ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
  touch .venv/.installed-test
fi
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
