#!/usr/bin/env bash
# Keep the record: add asv's results to the `results` branch of REMOTE, then publish the dashboard built from
# everything that branch holds to REMOTE's `gh-pages` branch.
#
#   tools/publish_results.sh REMOTE [ASV_CONFIG]      (ASV_CONFIG defaults to asv.conf.json)
#
# The results branch keeps asv's results directory under results/ and grows by one commit per call: the files
# it already holds stay, files of this run are added (a file of the same name, the same machine, commit and
# environment, is replaced), so runs from several machines and days accumulate. gh-pages holds one commit,
# replaced on each call, as `asv gh-pages` does; its pages are `cryoet-zarr-bench publish`'s (offline
# dashboard and by-release page). Everything goes through temporary git indexes and directories: the working
# tree, the index and the branches of the repository it runs in are never touched. Needs the project
# installed with its `bench` extra, run in the repository the configuration names.
set -euo pipefail

usage="usage: tools/publish_results.sh REMOTE [ASV_CONFIG]"
remote=${1:?$usage}
config=${2:-asv.conf.json}
results_branch=results
pages_branch=gh-pages

work=$(mktemp -d "${TMPDIR:-/tmp}/publish-results.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Where the configuration keeps results, and a copy of it that reads them from $work/record (what the results
# branch holds) and writes the dashboard to $work/html.
repo=$(python - "$config" "$work" <<'EOF'
import json
import sys
from pathlib import Path

from cryoet_zarr_bench.asv_config import AsvConfig, AsvConfigError, read_settings

try:
    config = AsvConfig.read(sys.argv[1])
except AsvConfigError as error:
    print(f"publish_results: {error}", file=sys.stderr)
    sys.exit(2)
work = Path(sys.argv[2])
settings = read_settings(config.path)
settings.update(
    repo=str(config.repo),
    results_dir=str(work / "record" / "results"),
    html_dir=str(work / "html"),
    env_dir=str(work / "env"),
)
(work / "asv.conf.json").write_text(json.dumps(settings), encoding="utf-8")
(work / "results_dir").write_text(str(config.results_dir), encoding="utf-8")
print(config.repo)
EOF
)
results_dir=$(cat "$work/results_dir")
if [ -z "$(find "$results_dir" -name '*.json' -print -quit 2>/dev/null)" ]; then
    echo "publish_results: no asv results in $results_dir; run the benchmarks first" >&2
    exit 2
fi

git_in_repo() { git -C "$repo" "$@"; }
# A commit needs an author; CI machines often have none configured.
if [ -z "$(git_in_repo config user.name || true)" ]; then
    export GIT_AUTHOR_NAME=cryoet-zarr-bench GIT_COMMITTER_NAME=cryoet-zarr-bench
fi
if [ -z "$(git_in_repo config user.email || true)" ]; then
    export GIT_AUTHOR_EMAIL=cryoet-zarr-bench@localhost GIT_COMMITTER_EMAIL=cryoet-zarr-bench@localhost
fi

# Stage every file under directory $1 at path $2/ in the temporary index $GIT_INDEX_FILE.
stage_directory() {
    local directory=$1 prefix=$2 file blob
    while IFS= read -r -d '' file; do
        blob=$(git_in_repo hash-object -w -- "$directory/$file")
        git_in_repo update-index --add --cacheinfo "100644,$blob,$prefix${file#./}"
    done < <(cd "$directory" && find . -type f ! -name '*.partial' -print0 | sort -z)
}

# 1. The results branch: the remote's tip plus this run's files.
parent=""
if git_in_repo ls-remote --exit-code --heads "$remote" "$results_branch" >/dev/null; then
    git_in_repo fetch --quiet --no-tags "$remote" "refs/heads/$results_branch"
    parent=$(git_in_repo rev-parse FETCH_HEAD)
else
    status=$?
    if [ "$status" -ne 2 ]; then
        echo "publish_results: cannot read $remote (git ls-remote exit $status)" >&2
        exit "$status"
    fi
fi
export GIT_INDEX_FILE="$work/results.index"
if [ -n "$parent" ]; then git_in_repo read-tree "$parent"; else git_in_repo read-tree --empty; fi
stage_directory "$results_dir" results/
tree=$(git_in_repo write-tree)
if [ -n "$parent" ] && [ "$tree" = "$(git_in_repo rev-parse "$parent^{tree}")" ]; then
    echo "publish_results: $remote's $results_branch branch already holds these results"
    results_commit=$parent
else
    machines=$(cd "$results_dir" && find . -mindepth 2 -name machine.json -printf '%h\n' | sed 's|^\./||' | sort | paste -sd, -)
    results_commit=$(git_in_repo commit-tree "$tree" ${parent:+-p "$parent"} \
        -m "asv results from ${machines:-no machine}, published $(date -u +%Y-%m-%dT%H:%M:%SZ)")
fi
unset GIT_INDEX_FILE

# 2. The dashboard, built from everything the results branch now holds.
mkdir -p "$work/record"
git_in_repo archive "$results_commit" results | tar -x -C "$work/record"
cryoet-zarr-bench publish --config "$work/asv.conf.json"
touch "$work/html/.nojekyll"  # GitHub Pages serves the files as they are
export GIT_INDEX_FILE="$work/pages.index"
git_in_repo read-tree --empty
stage_directory "$work/html" ""
pages_commit=$(git_in_repo commit-tree "$(git_in_repo write-tree)" \
    -m "Dashboard of $results_branch ${results_commit:0:12}")
unset GIT_INDEX_FILE

# 3. Both branches in one push: results only moves forward; gh-pages is replaced.
git_in_repo push --quiet "$remote" \
    "$results_commit:refs/heads/$results_branch" "+$pages_commit:refs/heads/$pages_branch"
echo "publish_results: $remote $results_branch = ${results_commit:0:12}, $pages_branch = ${pages_commit:0:12}"
