#!/usr/bin/env bash
# Fetch real cryo-EM/ET images (measured on microscopes, not simulated) from the package index: test data that
# ships in two packages' source distributions. Only pip and the index are needed, no EMPIAR or EMDB access.
#
#   tools/fetch_real_images.sh [DIR]      (DIR defaults to data/, which git ignores)
#
# cryodrgn 4.3.1 (GPL-3.0), tests/data/:
#   ay19102021_L3_position6_ribo_it09_bin8_1.82A.mrcs  220 tilt images (64 x 64, float32) of 6 ribosome
#       particles, cut at bin 8 from the tilt series "ay19102021_L3_position6" (its STAR file,
#       sta_testing_bin8.star: 300 kV, up to +-60 degrees in 3-degree steps, dose-symmetric); the package does
#       not name the EMPIAR entry.
#   empiar_10076_7.mrc  7 particle images (320 x 320, float32) from EMPIAR-10076 (assembling 50S ribosome).
# mrcfile 1.5.4 (BSD-3-Clause), tests/test_data/, "contributed with permission for public distribution":
#   fei-extended.mrc    one micrograph (3838 x 3710, uint16): Titan Krios, 300 kV, EPU 1.2, K2 counting behind
#       an energy filter, 0.854 A/pixel, 47.6 e/A^2 (its FEI1 extended header).
#   epu2.9_example.mrc  one micrograph (4096 x 4096, uint16): Titan Krios, 300 kV, EPU 2.9, Falcon counting,
#       0.667 A/pixel, 41.2 e/A^2 (FEI2 extended header).
#
# Prints each file's path; every sha256 is checked, so a changed file stops the script instead of being used.
# docs/codec-study.md says how to run the codec study on them, with the noise sigma to state for each.
set -euo pipefail

dir=${1:-data}
work=$(mktemp -d "${TMPDIR:-/tmp}/fetch-real-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

# package==version, then member path and sha256 pairs
fetch() {
    local package=$1 version=$2
    shift 2
    python -m pip download --quiet --no-deps --no-binary :all: "$package==$version" --dest "$work"
    local members=()
    local i
    for ((i = 1; i <= $#; i += 2)); do members+=("$package-$version/${!i}"); done
    tar -xzf "$work/$package-$version.tar.gz" -C "$work" "${members[@]}"
    for ((i = 1; i <= $#; i += 2)); do
        local j=$((i + 1))
        echo "${!j}  $work/$package-$version/${!i}" | sha256sum --check --quiet
    done
    mkdir -p "$dir"
    for member in "${members[@]}"; do
        local name
        name=$(basename "$member")
        mv "$work/$member" "$dir/$name.partial"
        mv "$dir/$name.partial" "$dir/$name"
        echo "$dir/$name"
    done
}

fetch cryodrgn 4.3.1 \
    tests/data/ay19102021_L3_position6_ribo_it09_bin8_1.82A.mrcs \
    a7ca3284b6906cf9f446e6c5f85d4640312aaccb10d7208a30f0a59066dfb48a \
    tests/data/empiar_10076_7.mrc \
    6503b12593fdf1b28aef73351788fb83c44d935682a03429a51a1fb5d05b9e72
fetch mrcfile 1.5.4 \
    tests/test_data/fei-extended.mrc \
    e9f168012031b3a6ea47fbed8eca8b9c8a040b4d1f4fbb2e3326bdb6d9307efe \
    tests/test_data/epu2.9_example.mrc \
    c52b35f70216ba6ffed7523c70810806117676f463ee4f15c1da18697caf8653
