# shellcheck shell=bash
# Sourced by scripts/dev, scripts/test and scripts/check: make .venv match pyproject.toml and
# constraints.txt, then put it first on PATH. Idempotent and quick when nothing changed: a stamp
# inside .venv holds the hash of both files, and pip runs only when the hash differs.
# Override the interpreter with QUARRY_PYTHON=/path/to/python3.11.
#
# .venv is a plain directory inside the checkout, where uv, Poetry's in-project mode and editors
# look for it. Earlier versions made .venv a symlink to an environment outside the checkout;
# such a link is replaced by a fresh in-tree environment (a venv cannot be moved: its scripts'
# shebangs and activate name its absolute path) and the old environment is then deleted.
# Embedded PostgreSQL as root reaches the package's binaries inside .venv by permissions that
# app.devstack sets (see docs/operations.md, "Running as root").

QUARRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$QUARRY_ROOT" || exit 1
VENV="$QUARRY_ROOT/.venv"
STAMP="$VENV/.quarry-deps.sha256"
# Inside a rebuilt .venv: the outside environment the old symlink named, deleted once the new
# environment is complete (so an interrupted rebuild still removes it on the next run).
FORMER="$VENV/.quarry-former-venv"

_bootstrap_sha() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1
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

# An old-layout .venv symlink: drop the link (the environment is rebuilt in the tree) and
# remember where it pointed.
_bootstrap_unlink_former() {
  local former
  [[ -L "$VENV" ]] || return 0
  former="$(readlink "$VENV")"
  echo "bootstrap: .venv was a symlink to $former; rebuilding it inside the checkout" >&2
  rm -f "$VENV"
  mkdir -p "$VENV"
  printf '%s\n' "$former" >"$FORMER"
}

# Delete the environment the old symlink named, but only one this bootstrap made: a directory
# holding our stamp and a pyvenv.cfg, under a folder named .quarry-venvs or quarry/venvs. Its
# parent folder goes too once empty. Anything else is left alone, with a note.
_bootstrap_remove_former() {
  local former parent
  [[ -f "$FORMER" ]] || return 0
  former="$(cat "$FORMER")"
  parent="$(dirname "$former")"
  if [[ -f "$former/.quarry-deps.sha256" && -f "$former/pyvenv.cfg" ]] \
    && [[ "$parent" == */.quarry-venvs || "$parent" == */quarry/venvs ]]; then
    rm -rf "$former"
    rmdir "$parent" 2>/dev/null || true
    echo "bootstrap: deleted the former environment $former" >&2
  elif [[ -e "$former" ]]; then
    echo "bootstrap: $former (the former .venv target) is no longer used; delete it if unneeded" >&2
  fi
  rm -f "$FORMER"
}

bootstrap_venv() {
  local want python
  _bootstrap_unlink_former
  if [[ -x "$VENV/bin/python" ]] \
    && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "bootstrap: $VENV is not a working Python 3.11 environment; recreating it" >&2
    rm -rf "$VENV/bin" "$VENV/lib" "$VENV/lib64" "$VENV/include" "$VENV/pyvenv.cfg" "$STAMP"
  fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    python="$(_bootstrap_python)"
    echo "bootstrap: creating $VENV with $python" >&2
    rm -f "$STAMP"
    "$python" -m venv "$VENV"
  fi
  want="$(_bootstrap_hash)"
  if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
    echo "bootstrap: installing pinned dependencies (pip install -c constraints.txt -e '.[dev]')" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
      -c constraints.txt -e '.[dev]'
    printf '%s\n' "$want" >"$STAMP"
  fi
  _bootstrap_remove_former
  export VIRTUAL_ENV="$VENV"
  export PATH="$VENV/bin:$PATH"
}

bootstrap_venv
