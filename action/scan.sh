#!/usr/bin/env bash
# The scan step of the oidclint GitHub Action (action.yml). It runs the scan once for the SARIF
# that goes to code scanning, with --fail-on (and --fail-on-incomplete), and keeps the exit code
# in a step output, so the upload still happens when the job is to fail: later steps of the
# action fail it. A second, report-only run writes the Markdown job summary: the findings, the
# files not read and why, and what the configuration turned off.
#
# Inputs come as environment variables, never interpolated into shell code:
#   INPUT_PATHS               files or folders to scan, separated by whitespace (default: .)
#   INPUT_FAIL_ON             error|warning|note|never (default: never)
#   INPUT_FAIL_ON_INCOMPLETE  true|false: exit 3 when a file could not be read (default: true)
#   INPUT_CONFIG              configuration file (optional)
#   INPUT_REPOSITORY          owner/name for CI job subjects (optional)
#   INPUT_BASELINE            baseline report (optional)
#   INPUT_TIME_BUDGET         seconds per file (optional; beyond what a configuration may set)
#   INPUT_MAX_FILE_SIZE       bytes per file (optional; beyond what a configuration may set)
#   INPUT_SARIF_FILE          where to write the SARIF (default: oidclint.sarif)
#   OIDCLINT_PYTHON           the Python that has oidclint (default: `oidclint` on PATH)
# and what the runner sets: GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
#
# Exit code as `oidclint scan`: 0 nothing at or above fail-on, 1 findings at or above it, 2 the
# scan could not run (no SARIF is written then), 3 a file could not be read or understood
# (with fail-on-incomplete). Step outputs: exit-code, and sarif-file (an absolute path) when
# the SARIF was written.
set -uo pipefail

fail_on="${INPUT_FAIL_ON:-never}"
fail_on_incomplete="${INPUT_FAIL_ON_INCOMPLETE:-true}"
sarif_file="${INPUT_SARIF_FILE:-oidclint.sarif}"

output() {
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"
    fi
}

refuse() {
    echo "::error title=oidclint::$1"
    output exit-code 2
    exit 2
}

case "$fail_on" in
    error | warning | note | never) ;;
    *) refuse "fail-on must be error, warning, note or never, not '$fail_on'" ;;
esac
case "$fail_on_incomplete" in
    true | false) ;;
    *) refuse "fail-on-incomplete must be true or false, not '$fail_on_incomplete'" ;;
esac

if [[ -n "${OIDCLINT_PYTHON:-}" ]]; then
    oidclint=("$OIDCLINT_PYTHON" -m oidclint)
else
    oidclint=(oidclint)
fi

# Relative paths (the paths input, sarif-file, config, baseline) are relative to the checkout.
if [[ -n "${GITHUB_WORKSPACE:-}" ]]; then
    cd "$GITHUB_WORKSPACE" || exit 2
fi

# Split on whitespace (spaces, tabs, newlines) without glob expansion: a path is passed as
# written, and nothing in it is ever run. Paths that contain spaces cannot be given.
paths=()
read -r -d '' -a paths <<< "${INPUT_PATHS:-.}" || true
if [[ ${#paths[@]} -eq 0 ]]; then
    paths=(.)
fi

# Each optional input given becomes one argument, `--flag=value`: a value is never re-split,
# and one that starts with `-` stays a value.
options=()
add_option() {
    if [[ -n "$2" ]]; then
        options+=("$1=$2")
    fi
}
add_option --config "${INPUT_CONFIG:-}"
add_option --repository "${INPUT_REPOSITORY:-}"
add_option --baseline "${INPUT_BASELINE:-}"
add_option --time-budget "${INPUT_TIME_BUDGET:-}"
add_option --max-file-size "${INPUT_MAX_FILE_SIZE:-}"

incomplete=()
if [[ "$fail_on_incomplete" == true ]]; then
    incomplete=(--fail-on-incomplete)
fi

# `--` ends the options, so a path that starts with `-` stays a path.
"${oidclint[@]}" scan --format sarif --output "$sarif_file" --fail-on "$fail_on" \
    "${incomplete[@]}" "${options[@]}" -- "${paths[@]}"
status=$?
output exit-code "$status"
if [[ $status -ne 0 && $status -ne 1 && $status -ne 3 ]]; then
    echo "::error title=oidclint::the scan did not complete (exit $status); see the log above"
    exit "$status"
fi
case "$sarif_file" in
    /*) output sarif-file "$sarif_file" ;;
    *) output sarif-file "$PWD/$sarif_file" ;;
esac

# The job summary, also shown in the log. It is a second rendering of the same scan; when it
# fails the SARIF is still uploaded, so a warning is enough.
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
if ! "${oidclint[@]}" scan --format markdown --fail-on never "${options[@]}" -- "${paths[@]}" \
        | tee -a "$summary"; then
    echo "::warning title=oidclint::could not write the Markdown job summary"
fi

case $status in
    1) echo "oidclint: findings at or above '$fail_on'" ;;
    3) echo "oidclint: files could not be read or understood (fail-on-incomplete is true)" ;;
esac
exit "$status"
