#!/usr/bin/env bash
# Creates .venv-rasa: Rasa Open Source 3.6.21 in a virtualenv of its own (it declares Python < 3.11 and pins
# pydantic 1, so it cannot share the bot's .venv). Its dependencies are pinned in nlu/requirements-rasa.txt as they
# would be for Python 3.10, with versions that have Python 3.11 wheels; rasa and rasa-sdk then go in with --no-deps
# --ignore-requires-python. Safe to run again: a stamp keyed on the requirements file and this script skips the
# install when neither changed. Needs Python 3.11 (tensorflow 2.12 has wheels up to 3.11): set PYTHON to choose one.
# About 1.5 minutes and 2.7 GB on a fresh machine (tensorflow is most of it).
set -euo pipefail
self=$(readlink -f "$0")
cd "$(dirname "$self")/.."

venv=${IVR_RASA_VENV:-.venv-rasa}
requirements=nlu/requirements-rasa.txt
rasa_packages=(rasa==3.6.21 rasa-sdk==3.6.2)
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "setup-rasa: $python is not Python 3.11 ($("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

key=$(cat "$requirements" "$self" | sha256sum | cut -d' ' -f1)
stamp=$venv/.ivr-rasa-installed
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && [ -x "$venv/bin/rasa" ]; then
  exit 0
fi

started=$(date +%s)
echo "setup-rasa: installing Rasa 3.6.21 into $venv (tensorflow: a few minutes on a fresh machine)"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip_quiet() {  # pip's notes about absent local package mirrors are noise here; errors still show
  "$venv/bin/python" -m pip "$@" 2>&1 | { grep -v '^WARNING: Location .* is ignored' || true; }
}
pip_quiet install -q --upgrade pip
pip_quiet install -q --no-deps -r "$requirements"
pip_quiet install -q --no-deps --ignore-requires-python "${rasa_packages[@]}"
RASA_TELEMETRY_ENABLED=false "$venv/bin/rasa" --version >/dev/null 2>&1 \
  || { echo "setup-rasa: rasa does not start in $venv; run $venv/bin/rasa --version to see why" >&2; exit 1; }
echo "$key" > "$stamp"
echo "setup-rasa: done in $(( $(date +%s) - started )) s, $(du -sh "$venv" | cut -f1)"
