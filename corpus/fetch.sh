#!/bin/sh
# Make the corpus checkouts with plain git: DIR/<owner>/<name> at the commit of each verdict.
#
#   corpus/fetch.sh DIR [owner/name ...]
#
# Only the one commit is fetched (depth 1). A checkout already at its commit is left alone; one
# at another commit is moved to the verdict's commit. Nothing is run from the fetched trees.
# A developer tool: CI does not run it (it needs the network).
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [owner/name ...]" >&2
    exit 2
fi
dir=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
# Another place to fetch from (a mirror holding <owner>/<name> repositories), for testing.
base=${CORPUS_GIT_BASE:-https://github.com}

# "repo commit" lines, from the verdicts file (PyYAML is a dependency of oidclint).
pairs=$("$python" - "$here/verdicts.yaml" "$@" <<'EOF'
import sys
import yaml

wanted = {name.lower() for name in sys.argv[2:]}
for verdict in yaml.safe_load(open(sys.argv[1], encoding="utf-8")):
    if not wanted or verdict["repo"].lower() in wanted:
        print(verdict["repo"], verdict["commit"])
EOF
)

failed=0
while read -r repo commit; do
    [ -n "$repo" ] || continue
    target="$dir/$repo"
    if [ -d "$target/.git" ] && [ "$(git -C "$target" rev-parse HEAD 2>/dev/null)" = "$commit" ]; then
        echo "$repo: at $commit"
        continue
    fi
    new=0
    [ -e "$target" ] || new=1
    mkdir -p "$target"
    git -C "$target" init -q
    if git -C "$target" fetch -q --depth 1 "$base/$repo" "$commit" \
        && git -C "$target" -c advice.detachedHead=false checkout -q --force FETCH_HEAD; then
        echo "$repo: fetched $commit"
    else
        echo "$repo: could not fetch $commit" >&2
        # An empty folder would be scored as a repository with nothing in it.
        [ "$new" = 0 ] || rm -rf "$target"
        failed=1
    fi
done <<EOF
$pairs
EOF
exit $failed
