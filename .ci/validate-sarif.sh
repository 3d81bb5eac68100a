#!/usr/bin/env bash
# Validate SARIF logs with Microsoft's SARIF multitool, with the SARIF and GitHub rule sets.
#
#   SARIF_MULTITOOL=/path/to/Sarif.Multitool .ci/validate-sarif.sh FILE...
#
# The multitool ships in the npm package @microsoft/sarif-multitool (the Linux binary is
# `Sarif.Multitool` in @microsoft/sarif-multitool-linux). It writes its findings to a SARIF log
# of its own and exits 0 even when it found errors, so this script reads that log and fails
# when it holds any error or warning, or when the tool itself fails.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: SARIF_MULTITOOL=/path/to/Sarif.Multitool $0 FILE..." >&2
    exit 2
fi
if [[ -z "${SARIF_MULTITOOL:-}" ]]; then
    echo "error: SARIF_MULTITOOL is not set; point it at the Sarif.Multitool binary" \
        "(npm package @microsoft/sarif-multitool-linux)" >&2
    exit 2
fi
if [[ ! -f "$SARIF_MULTITOOL" ]]; then
    echo "error: SARIF_MULTITOOL=$SARIF_MULTITOOL is not a file" >&2
    exit 2
fi
if [[ ! -x "$SARIF_MULTITOOL" ]]; then
    # npm skips the package's postinstall (which does this) under --ignore-scripts.
    chmod u+x "$SARIF_MULTITOOL" || {
        echo "error: $SARIF_MULTITOOL is not executable and chmod failed" >&2
        exit 2
    }
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

status=0
index=0
for file in "$@"; do
    index=$((index + 1))
    log="$workdir/validation-$index.sarif"
    console="$workdir/console-$index.txt"
    if [[ ! -f "$file" ]]; then
        echo "$file: no such file" >&2
        status=1
        continue
    fi
    # `--log` takes a list, so it must not stand right before the file argument.
    if ! "$SARIF_MULTITOOL" validate --rule-kind "Sarif;Gh" --log ForceOverwrite \
        --output "$log" "$file" >"$console" 2>&1; then
        echo "$file: the SARIF multitool failed:" >&2
        cat "$console" >&2
        status=1
        continue
    fi
    if ! python3 - "$log" "$file" <<'PY'
import json
import re
import sys

log_path, target = sys.argv[1], sys.argv[2]
try:
    with open(log_path, encoding="utf-8-sig") as handle:
        log = json.load(handle)
except (OSError, ValueError) as error:
    print(f"{target}: cannot read the multitool's log: {error}", file=sys.stderr)
    sys.exit(1)


def text_of(message, rule):
    """A result message: its text, or its message string filled with its arguments."""
    if "text" in message:
        return message["text"]
    template = rule.get("messageStrings", {}).get(message.get("id", ""), {}).get("text", "")
    arguments = message.get("arguments", [])

    def fill(match):
        if match.group(1) is None:  # "{{" and "}}" are .NET format escapes
            return match.group(0)[0]
        number = int(match.group(1))
        return arguments[number] if number < len(arguments) else match.group(0)

    return re.sub(r"\{(\d+)\}|\{\{|\}\}", fill, template) or " ".join(arguments)


problems = 0
for run in log.get("runs", []):
    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    by_id = {rule.get("id"): rule for rule in rules}
    for invocation in run.get("invocations", []):
        if invocation.get("executionSuccessful") is False:
            print(f"{target}: the multitool reports an unsuccessful run")
            problems += 1
        for note in invocation.get("toolExecutionNotifications", []):
            if note.get("level", "warning") in ("error", "warning"):
                print(f"{target}: multitool {note.get('level', 'warning')}: "
                      f"{note.get('message', {}).get('text', '')}")
                problems += 1
    for result in run.get("results", []):
        index = result.get("ruleIndex", -1)
        rule = rules[index] if 0 <= index < len(rules) else by_id.get(result.get("ruleId"), {})
        # An absent level falls back to the rule's default (SARIF 2.1.0 §3.27.10).
        level = result.get("level") or rule.get("defaultConfiguration", {}).get("level", "warning")
        if level not in ("error", "warning"):
            continue
        problems += 1
        region = (result.get("locations") or [{}])[0].get("physicalLocation", {}).get("region", {})
        where = f"({region['startLine']},{region.get('startColumn', 1)})" if region else ""
        print(f"{target}{where}: {level} {result.get('ruleId', '?')}: "
              f"{text_of(result.get('message', {}), rule)}")

if problems:
    print(f"{target}: {problems} error(s) or warning(s)")
    sys.exit(1)
print(f"{target}: valid (SARIF and GitHub rules: no errors, no warnings)")
PY
    then
        status=1
    fi
done
exit "$status"
