"""Re-create ``cryoet_zarr_bench/_vendor/asv_www`` from the npm registry.

The asv dashboard loads jQuery, flot, bootstrap and a few plugins from public
CDNs.  ``cryoet_zarr_bench.dashboard.make_offline`` swaps those references for
the copies kept in ``_vendor/asv_www``; its ``MANIFEST.json`` names, for every
file, the npm package, version and path inside the package, its sha256 and
license, and the CDN URL that it replaces.

This maintainer script downloads each package with ``npm pack``, takes the
listed files out of the tarball and rebuilds the vendor directory:

    python tools/vendor_dashboard_assets.py            # check: fail on any sha256 change
    python tools/vendor_dashboard_assets.py --update   # record new sha256 / license

To vendor a new file (for example after an asv upgrade changed its CDN list),
add an entry to the manifest with an empty ``sha256`` and run ``--update``.
Needs ``npm`` and access to the npm registry; CI does not run it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent.parent / "cryoet_zarr_bench" / "_vendor" / "asv_www"
MANIFEST_NAME = "MANIFEST.json"


def npm_pack(package: str, version: str, destination: Path) -> Path:
    """Download ``package@version`` from the npm registry as a tarball into `destination`."""
    spec = f"{package}@{version}"
    try:
        completed = subprocess.run(
            ["npm", "pack", spec, "--pack-destination", str(destination), "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        sys.exit("npm is not installed; install Node.js/npm (Debian: apt-get install -y npm).")
    if completed.returncode != 0:
        sys.exit(f"npm pack {spec} failed:\n{completed.stderr.strip()}")
    (packed,) = json.loads(completed.stdout)
    return destination / packed["filename"]


def license_of(tarball: tarfile.TarFile) -> str | None:
    """The ``license`` field of the package's package.json, as a string, or None."""
    package_json = json.load(tarball.extractfile("package/package.json"))
    license_field = package_json.get("license")
    if isinstance(license_field, dict):
        license_field = license_field.get("type")
    return license_field


def read_member(tarball: tarfile.TarFile, package_spec: str, file: str) -> bytes:
    """The bytes of `file` (a path inside the npm package) from `tarball`."""
    try:
        member = tarball.extractfile(f"package/{file}")
    except KeyError:
        member = None
    if member is None:
        sys.exit(f"{package_spec} has no file {file!r}; fix the manifest entry.")
    return member.read()


def collect(entries: list[dict], update: bool, workdir: Path) -> tuple[dict[str, bytes], list[str]]:
    """Fetch every manifest entry from npm.

    Returns the file contents keyed by their path in the vendor directory, and
    a list of problems (sha256 or license differences) found in check mode.
    In update mode the entries are updated in place instead.
    """
    contents: dict[str, bytes] = {}
    problems: list[str] = []
    tarballs: dict[str, tarfile.TarFile] = {}
    with contextlib.ExitStack() as open_files:
        for entry in entries:
            spec = f"{entry['package']}@{entry['version']}"
            if spec not in tarballs:
                print(f"npm pack {spec}")
                tarball_path = npm_pack(entry["package"], entry["version"], workdir)
                tarballs[spec] = open_files.enter_context(tarfile.open(tarball_path))
            tarball = tarballs[spec]
            data = read_member(tarball, spec, entry["file"])
            sha256 = hashlib.sha256(data).hexdigest()
            registry_license = license_of(tarball)
            if update:
                entry["sha256"] = sha256
                entry["license"] = registry_license or entry["license"]
                if not entry["license"]:
                    problems.append(f"{spec}: package.json names no license; fill in 'license' by hand")
            else:
                if sha256 != entry["sha256"]:
                    problems.append(
                        f"{spec} {entry['file']}: sha256 {sha256}, manifest says {entry['sha256']!r}"
                    )
                if registry_license and registry_license != entry["license"]:
                    problems.append(
                        f"{spec}: license {registry_license!r}, manifest says {entry['license']!r}"
                    )
            contents[f"{entry['package']}-{entry['version']}/{entry['file']}"] = data
    return contents, list(dict.fromkeys(problems))


def replace_vendor_dir(contents: dict[str, bytes], manifest: dict) -> None:
    """Write `contents` and `manifest` to a sibling directory, then swap it into place."""
    staging = VENDOR_DIR.with_name(VENDOR_DIR.name + ".new")
    retired = VENDOR_DIR.with_name(VENDOR_DIR.name + ".old")
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    for relative_path, data in contents.items():
        target = staging / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if VENDOR_DIR.exists():
        VENDOR_DIR.rename(retired)
    staging.rename(VENDOR_DIR)
    shutil.rmtree(retired, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--update",
        action="store_true",
        help="record the sha256 and license of the downloaded files instead of failing when they differ",
    )
    args = parser.parse_args(argv)

    manifest = json.loads((VENDOR_DIR / MANIFEST_NAME).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as workdir:
        contents, problems = collect(manifest["files"], args.update, Path(workdir))
    if problems:
        print("Nothing written:", *problems, sep="\n  ", file=sys.stderr)
        if not args.update:
            print("Run with --update if the new files are intended.", file=sys.stderr)
        return 1
    replace_vendor_dir(contents, manifest)
    print(f"Wrote {len(contents)} files to {VENDOR_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
