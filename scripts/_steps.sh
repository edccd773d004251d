# shellcheck shell=bash
# Sourced by scripts/test and scripts/check: run named steps, keep going after a failure, and
# print one summary at the end so a single run shows every problem.

STEP_NAMES=()
STEP_CODES=()
STEP_SECONDS=()

# step NAME CMD [ARGS...]: run CMD, record its exit status and duration.
step() {
  local name=$1 started=$SECONDS code=0
  shift
  printf '\n==> %s: %s\n' "$name" "$*"
  "$@" || code=$?
  STEP_NAMES+=("$name")
  STEP_CODES+=("$code")
  STEP_SECONDS+=("$((SECONDS - started))")
  if [[ $code -ne 0 ]]; then
    printf '==> %s FAILED (exit %s)\n' "$name" "$code"
  fi
}

# The static checks, in the order scripts/test runs them.
static_checks() {
  step "ruff check" ruff check .
  step "ruff format" ruff format --check .
  step "mypy" mypy
  step "import-linter" lint-imports
}

# pytest, where "no tests collected" (exit 5) is a failure rather than a quiet pass.
run_pytest() {
  local code=0
  pytest "$@" || code=$?
  if [[ $code -eq 5 ]]; then
    echo "pytest collected no tests (exit 5): counted as a failure" >&2
  fi
  return "$code"
}

# Print the summary; return 1 when any step failed.
summary() {
  local i failed=0 verdict
  printf '\n==> summary\n'
  for i in "${!STEP_NAMES[@]}"; do
    if [[ ${STEP_CODES[$i]} -eq 0 ]]; then
      verdict="ok"
    else
      verdict="FAILED (exit ${STEP_CODES[$i]})"
      failed=1
    fi
    printf '  %-14s %-18s %4ss\n' "${STEP_NAMES[$i]}" "$verdict" "${STEP_SECONDS[$i]}"
  done
  if [[ $failed -ne 0 ]]; then
    printf '==> FAILED\n'
    return 1
  fi
  printf '==> all passed\n'
}
