#!/usr/bin/env bash
# A Python virtualenv with the OpenTelemetry SDK and OTLP exporters, for the
# integration tests' real OTLP client (tests/python/send_otlp.py). Created
# once under ${WEIR_PY_VENV:-$HOME/.cache/weir/venv}, reinstalled only when
# tests/python/requirements.txt changes. Prints the venv's python on the
# last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${WEIR_PY_VENV:-$HOME/.cache/weir/venv}"
requirements=tests/python/requirements.txt
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
