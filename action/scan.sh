#!/usr/bin/env bash
# The scan step of the oidclint GitHub Action (action.yml). It runs the scan once for the SARIF
# that goes to code scanning, with --fail-on, and keeps the exit code in a step output, so the
# upload still happens when findings are to fail the job: a later step of the action fails it.
# A second, report-only run writes the Markdown job summary.
#
# Inputs come as environment variables, never interpolated into shell code:
#   INPUT_PATHS       files or folders to scan, separated by whitespace (default: .)
#   INPUT_FAIL_ON     error|warning|note|never (default: never)
#   INPUT_CONFIG      configuration file (optional)
#   INPUT_SARIF_FILE  where to write the SARIF (default: oidclint.sarif)
# and what the runner sets: GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
#
# Exit code as `oidclint scan`: 0 nothing at or above fail-on, 1 findings at or above it, 2 the
# scan could not run (no SARIF is written then). Step outputs: exit-code, and sarif-file (an
# absolute path) when the SARIF was written.
set -uo pipefail

fail_on="${INPUT_FAIL_ON:-never}"
sarif_file="${INPUT_SARIF_FILE:-oidclint.sarif}"
config="${INPUT_CONFIG:-}"

output() {
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"
    fi
}

case "$fail_on" in
    error | warning | note | never) ;;
    *)
        echo "::error title=oidclint::fail-on must be error, warning, note or never, not '$fail_on'"
        output exit-code 2
        exit 2
        ;;
esac

# Relative paths (the paths input, sarif-file, config) are relative to the checkout.
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

options=()
if [[ -n "$config" ]]; then
    options+=(--config "$config")
fi

# `--` ends the options, so a path that starts with `-` stays a path.
oidclint scan --format sarif --output "$sarif_file" --fail-on "$fail_on" "${options[@]}" \
    -- "${paths[@]}"
status=$?
output exit-code "$status"
if [[ $status -ne 0 && $status -ne 1 ]]; then
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
if ! oidclint scan --format markdown --fail-on never "${options[@]}" -- "${paths[@]}" \
        | tee -a "$summary"; then
    echo "::warning title=oidclint::could not write the Markdown job summary"
fi

if [[ $status -eq 1 ]]; then
    echo "oidclint: findings at or above '$fail_on'"
fi
exit "$status"
