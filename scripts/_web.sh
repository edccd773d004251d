# shellcheck shell=bash
# Sourced by scripts/dev and scripts/test: the single-page app in web/app (TypeScript, React, Vite).
#
# build_web_app: install the pinned npm packages (npm ci from web/app/package-lock.json, only when
#   package.json or the lock changed) and build the app into web/app/dist (codegen from
#   schema/schema.graphql, type-check, vite build), only when its sources changed: a stamp in
#   dist holds the hash of every source file and of the schema. dist and node_modules are never
#   committed; app/spa.py serves dist.
# check_web_app: lint (Biome) and unit tests (vitest), as ruff and pytest are for Python.
#
# Both return non-zero with a message instead of exiting, so scripts/test can report them as steps.

QUARRY_ROOT="${QUARRY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
WEB_APP_DIR="$QUARRY_ROOT/web/app"
WEB_APP_STAMP="$WEB_APP_DIR/dist/.quarry-sources.sha256"
WEB_DEPS_STAMP="$WEB_APP_DIR/node_modules/.quarry-lock.sha256"

_web_sha() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1
}

# The hash of what the build reads: configuration, sources (not the generated src/gql), schema.
_web_sources_hash() {
  (
    cd "$WEB_APP_DIR" || exit 1
    {
      find . -path ./node_modules -prune -o -path ./dist -prune -o -path ./src/gql -prune -o \
        -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.css' -o -name '*.json' \
        -o -name '*.html' -o -name '*.svg' -o -name '.npmrc' \) -print
      echo ../../schema/schema.graphql
    } | LC_ALL=C sort | while IFS= read -r file; do
      printf '%s\n' "$file"
      cat "$file"
    done | _web_sha
  )
}

_web_deps_hash() {
  cat "$WEB_APP_DIR/package.json" "$WEB_APP_DIR/package-lock.json" | _web_sha
}

_web_require_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "web: npm is required to build the app (Node 20.19 or newer)" >&2
    return 1
  fi
}

# npm ci when the lock changed since the last install (web/app/.npmrc: no install scripts).
install_web_deps() {
  local want
  want="$(_web_deps_hash)" || return 1
  if [[ -f "$WEB_DEPS_STAMP" && "$(cat "$WEB_DEPS_STAMP")" == "$want" ]]; then
    return 0
  fi
  _web_require_npm || return 1
  echo "web: installing pinned packages (npm ci in web/app)" >&2
  (cd "$WEB_APP_DIR" && npm ci --no-progress --loglevel=error) || {
    echo "web: npm ci failed" >&2
    return 1
  }
  printf '%s\n' "$want" >"$WEB_DEPS_STAMP"
}

build_web_app() {
  local want
  want="$(_web_sources_hash)" || return 1
  if [[ -f "$WEB_APP_STAMP" && "$(cat "$WEB_APP_STAMP")" == "$want" && -f "$WEB_APP_DIR/dist/index.html" ]]; then
    return 0
  fi
  install_web_deps || return 1
  echo "web: building the app (codegen, type-check, vite build in web/app)" >&2
  (cd "$WEB_APP_DIR" && npm run --silent build) || {
    echo "web: the build failed (see above); the app is not served until it builds" >&2
    rm -f "$WEB_APP_STAMP"
    return 1
  }
  printf '%s\n' "$want" >"$WEB_APP_STAMP"
}

check_web_app() {
  install_web_deps || return 1
  (cd "$WEB_APP_DIR" && npm run --silent codegen && npm run --silent lint && npm run --silent test)
}
