# shellcheck shell=bash
# Sourced by scripts/dev and scripts/test: what the browser side needs on this machine.
#
# install_graphiql_assets: GraphiQL's and React's browser builds for /graphiql, installed with
#   npm from web/graphiql/package-lock.json (exact versions and integrity hashes) into the
#   gitignored web/graphiql/node_modules; third-party files are never committed. Idempotent and
#   quick when nothing changed: a stamp inside node_modules holds the hash of package.json and
#   the lock, and npm runs only when it differs or a served file is missing.
# ensure_chromium: the Chromium that the real-browser test drives (Playwright's own browser
#   download is not used): Debian's package, installed with apt-get when missing and we are root.
#
# Both return non-zero with a message instead of exiting, so scripts/test can report them as steps.

QUARRY_ROOT="${QUARRY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
GRAPHIQL_DIR="$QUARRY_ROOT/web/graphiql"
GRAPHIQL_STAMP="$GRAPHIQL_DIR/node_modules/.quarry-lock.sha256"
# The files app/graphiql.py serves; a stamp without them is stale.
GRAPHIQL_SERVED=(
  node_modules/graphiql/graphiql.min.js
  node_modules/graphiql/graphiql.min.css
  node_modules/react/umd/react.production.min.js
  node_modules/react-dom/umd/react-dom.production.min.js
)
CHROMIUM="${QUARRY_CHROMIUM:-/usr/bin/chromium}"

_graphiql_hash() {
  cat "$GRAPHIQL_DIR/package.json" "$GRAPHIQL_DIR/package-lock.json" \
    | if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi \
    | cut -d' ' -f1
}

# _graphiql_missing: print the first served file that is not installed; fail when none is.
_graphiql_missing() {
  local file
  for file in "${GRAPHIQL_SERVED[@]}"; do
    if [[ ! -f "$GRAPHIQL_DIR/$file" ]]; then
      printf '%s\n' "$file"
      return 0
    fi
  done
  return 1
}

install_graphiql_assets() {
  local want missing
  want="$(_graphiql_hash)" || return 1
  if [[ -f "$GRAPHIQL_STAMP" && "$(cat "$GRAPHIQL_STAMP")" == "$want" ]] && ! _graphiql_missing >/dev/null; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "graphiql: npm is required to install GraphiQL's browser builds (Node 20 or newer)" >&2
    return 1
  fi
  echo "graphiql: installing pinned browser builds (npm ci in web/graphiql)" >&2
  # web/graphiql/.npmrc turns off install scripts, audit and funding messages.
  (cd "$GRAPHIQL_DIR" && npm ci --no-progress --loglevel=error) || {
    echo "graphiql: npm ci failed; /graphiql will not load" >&2
    return 1
  }
  if missing="$(_graphiql_missing)"; then
    echo "graphiql: npm ci did not install $missing (did the package's layout change?)" >&2
    return 1
  fi
  printf '%s\n' "$want" >"$GRAPHIQL_STAMP"
}

ensure_chromium() {
  if "$CHROMIUM" --version >/dev/null 2>&1; then
    return 0
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "chromium: $CHROMIUM is missing and we are not root; install Debian's package" \
      "(sudo apt-get install -y chromium) or set QUARRY_CHROMIUM to a Chromium binary" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: $CHROMIUM is missing and apt-get is not available; install Chromium" \
      "and set QUARRY_CHROMIUM to its binary" >&2
    return 1
  fi
  echo "chromium: installing Debian's chromium package (apt-get)" >&2
  # Without recommends (printing, notification daemons...); one font family for legible pages.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-liberation >/dev/null || {
    echo "chromium: apt-get install chromium failed" >&2
    return 1
  }
  "$CHROMIUM" --version >/dev/null 2>&1 || {
    echo "chromium: installed, but $CHROMIUM --version fails" >&2
    return 1
  }
}
