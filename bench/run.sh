#!/usr/bin/env bash
# Run every speed benchmark (see bench/README.md). Arguments go to bench/run.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x "$here/../venv/bin/python" ]]; then python="$here/../venv/bin/python"
  elif [[ -x /work/venv/bin/python ]]; then python=/work/venv/bin/python
  else python=python3; fi
fi
exec "$python" "$here/run.py" "$@"
