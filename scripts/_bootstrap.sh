# shellcheck shell=bash
# Sourced by scripts/dev, scripts/test and scripts/check: make .venv match pyproject.toml and
# constraints.txt, then put it first on PATH. Idempotent and quick when nothing changed: a stamp
# inside .venv holds the hash of both files, and pip runs only when the hash differs.
# Override the interpreter with QUARRY_PYTHON=/path/to/python3.11.
#
# .venv is a symlink to an environment outside the checkout, one per checkout path, under
# QUARRY_VENV_HOME (default: .quarry-venvs beside the checkout, or ~/.cache/quarry/venvs when
# that folder is not writable): recursive scans of the tree (grep -r, the project's rule checks,
# editors' searches) then never walk third-party code, whose imports would break rules meant
# for ours. Paths stay .venv/bin/... for every tool. Beside the checkout rather than in the home
# directory by default: as root, embedded PostgreSQL runs as another user that must reach the
# package's binaries, and the checkout's parents are already open to it for .data/.

QUARRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$QUARRY_ROOT" || exit 1
VENV="$QUARRY_ROOT/.venv"
STAMP="$VENV/.quarry-deps.sha256"

_bootstrap_sha() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1
}

# Where .venv points: outside the tree, one directory per checkout path.
_bootstrap_venv_home() {
  local base="${QUARRY_VENV_HOME:-}" beside
  if [[ -z "$base" ]]; then
    beside="$(dirname "$QUARRY_ROOT")"
    if [[ -w "$beside" ]]; then
      base="$beside/.quarry-venvs"
    else
      base="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/quarry/venvs"
    fi
  fi
  printf '%s/%s-%s\n' "$base" "$(basename "$QUARRY_ROOT")" \
    "$(printf '%s' "$QUARRY_ROOT" | _bootstrap_sha | cut -c1-12)"
}

# Make .venv a symlink to the outside environment; an older in-tree .venv directory is moved
# there (its scripts name .venv/bin/python, which the symlink keeps valid).
_bootstrap_link() {
  local target
  target="$(_bootstrap_venv_home)"
  [[ -L "$VENV" && "$(readlink "$VENV")" == "$target" ]] && return 0
  mkdir -p "$(dirname "$target")"
  if [[ -d "$VENV" && ! -L "$VENV" ]]; then
    rm -rf "$target"
    mv "$VENV" "$target"
  fi
  rm -f "$VENV"
  ln -s "$target" "$VENV"
}

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
  cat pyproject.toml constraints.txt | _bootstrap_sha
}

bootstrap_venv() {
  local want python
  _bootstrap_link
  if [[ -x "$VENV/bin/python" ]] \
    && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "bootstrap: $VENV is not a working Python 3.11 environment; recreating it" >&2
    rm -rf "$(readlink "$VENV")"
  fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    python="$(_bootstrap_python)"
    echo "bootstrap: creating $VENV -> $(readlink "$VENV") with $python" >&2
    # venv refuses a symlink as its directory: create it at the link's target.
    "$python" -m venv "$(readlink "$VENV")"
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
