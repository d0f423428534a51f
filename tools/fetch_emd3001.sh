#!/usr/bin/env bash
# Fetch EMD-3001.map, a small real cryo-EM map (25 x 43 x 73 float32), from the package index: it ships in
# mrcfile 1.5.4's source distribution (tests/test_data/). Only pip and the index are needed, no EMDB access.
#
#   tools/fetch_emd3001.sh [DIR]      (DIR defaults to data/, which git ignores)
#
# Prints the map's path; its sha256 is checked, so a changed file stops the script instead of being used.
# The file's 25 z-planes are 12 distinct ones repeated: benchmark the crop `?crop=0:12,0:43,0:73` (docs/codec-study.md).
set -euo pipefail

dir=${1:-data}
sha256=c423c29e4704aaadcb6c10c954295f826de86ca7f6e3fb8a479a73da9949e32a
member=mrcfile-1.5.4/tests/test_data/EMD-3001.map

work=$(mktemp -d "${TMPDIR:-/tmp}/fetch-emd3001.XXXXXX")
trap 'rm -rf "$work"' EXIT

python -m pip download --quiet --no-deps --no-binary :all: mrcfile==1.5.4 --dest "$work"
tar -xzf "$work/mrcfile-1.5.4.tar.gz" -C "$work" "$member"
echo "$sha256  $work/$member" | sha256sum --check --quiet
mkdir -p "$dir"
mv "$work/$member" "$dir/EMD-3001.map.partial"
mv "$dir/EMD-3001.map.partial" "$dir/EMD-3001.map"
echo "$dir/EMD-3001.map"
