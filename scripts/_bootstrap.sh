# shellcheck shell=bash
# Sourced by scripts/dev, scripts/test and scripts/check: make .venv match pyproject.toml and
# constraints.txt, then put it first on PATH. Idempotent and quick when nothing changed: a stamp
# inside .venv holds the hash of both files, and pip runs only when the hash differs.
# Override the interpreter with QUARRY_PYTHON=/path/to/python3.11.

QUARRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$QUARRY_ROOT" || exit 1
VENV="$QUARRY_ROOT/.venv"
STAMP="$VENV/.quarry-deps.sha256"

_bootstrap_python() {
  local candidate
  for candidate in "${QUARRY_PYTHON:-}" python3.11 python3; do
    [[ -n "$candidate" ]] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  echo "bootstrap: Python 3.11 is required; install it or set QUARRY_PYTHON=/path/to/python3.11" >&2
  return 1
}

_bootstrap_hash() {
  if command -v sha256sum >/dev/null 2>&1; then
    cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1
  else
    cat pyproject.toml constraints.txt | shasum -a 256 | cut -d' ' -f1
  fi
}

bootstrap_venv() {
  local want python
  if [[ -x "$VENV/bin/python" ]] \
    && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "bootstrap: $VENV is not a working Python 3.11 environment; recreating it" >&2
    rm -rf "$VENV"
  fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    python="$(_bootstrap_python)"
    echo "bootstrap: creating $VENV with $python" >&2
    "$python" -m venv "$VENV"
  fi
  want="$(_bootstrap_hash)"
  if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
    echo "bootstrap: installing pinned dependencies (pip install -c constraints.txt -e '.[dev]')" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
      -c constraints.txt -e '.[dev]'
    printf '%s\n' "$want" >"$STAMP"
  fi
  export VIRTUAL_ENV="$VENV"
  export PATH="$VENV/bin:$PATH"
}

bootstrap_venv
