"""Does the suite see a regression?  ``asv continuous`` on an injected slowdown (A/B) and on no change (A/A).

    python tools/regression_power/run.py --runs 10 --workdir /tmp/regression-power

In a scratch clone of this checkout's HEAD (commit A) the tool makes two commits on top: A2, empty (the same
tree: any change asv reports between A and A2 is a false alarm), and B, which slows one numcodecs codec's
``encode`` and ``decode`` by ``--slowdown`` of their own time (``slowdown.py``, imported by the package in
that commit only).  It then alternates ``asv continuous --factor F A A2`` and ``asv continuous --factor F
A B`` in one virtualenv environment of the release matrix (asv builds and installs each commit; rounds
interleave between the two commits), at the suite's default sampling, and counts:

- A/B: runs where asv reports a benchmark of the slowed codec worse (the regression was seen);
- A/A: runs where asv reports any benchmark changed, worse or better (a false alarm).

It prints each run's verdict as it goes and a summary at the end, and writes every run's flagged rows to
``<workdir>/runs.json``; each run's results are kept in ``<workdir>/kept/<kind>-<n>/``, so that
``asv compare --factor F`` can judge them again at another factor (``--results-dir``).  A run takes a few
minutes on a 2-core machine; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cryoet_zarr_bench.asv_config import read_settings  # noqa: E402

#: numcodecs classes by this project's codec family (the slowdown applies to every codec using the class).
CODEC_CLASSES = {
    "zstd": "numcodecs.zstd:Zstd",
    "blosc": "numcodecs.blosc:Blosc",
    "gzip": "numcodecs.gzip:GZip",
}
MACHINE = "regression-power"
#: A row of asv compare's table: | mark | before | after | ratio | benchmark (parameters) |
_ROW = re.compile(
    r"^\|\s*(?P<mark>[+\-!~x ]?)\s*\|(?P<before>[^|]*)\|(?P<after>[^|]*)\|(?P<ratio>[^|]*)\|(?P<name>[^|]*)\|"
)


def git(repo: Path, *args: str) -> str:
    ran = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return ran.stdout.strip()


def make_commits(repo: Path, family: str, fraction: float) -> tuple[str, str, str]:
    """A (HEAD), A2 (empty, on A) and B (the slowdown, on A) in the scratch clone ``repo``."""
    identity = ["-c", "user.name=regression-power", "-c", "user.email=regression-power@localhost"]
    base = git(repo, "rev-parse", "HEAD")
    git(repo, *identity, "commit", "--allow-empty", "-qm", "A/A: no change")
    same = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", base)
    module = (Path(__file__).parent / "slowdown.py").read_text(encoding="utf-8")
    module = module.replace('CODEC_CLASS = "numcodecs.zstd:Zstd"', f'CODEC_CLASS = "{CODEC_CLASSES[family]}"')
    module = module.replace("FRACTION = 0.10", f"FRACTION = {fraction}")
    (repo / "cryoet_zarr_bench" / "_injected_slowdown.py").write_text(module, encoding="utf-8")
    with (repo / "cryoet_zarr_bench" / "__init__.py").open("a", encoding="utf-8") as init:
        init.write("\nfrom ._injected_slowdown import install as _install_slowdown\n\n_install_slowdown()\n")
    git(repo, "add", "-A")
    git(repo, *identity, "commit", "-qm", f"A/B: {family} {fraction:.0%} slower")
    return base, same, git(repo, "rev-parse", "HEAD")


def write_config(workdir: Path, repo: Path, environment: str) -> Path:
    """The checkout's asv configuration for the scratch clone, with one environment of its matrix."""
    settings = read_settings(REPO / "asv.conf.json")
    python, zarr, numcodecs = environment.split()
    chosen = [
        entry
        for entry in settings["include"]
        if (entry["python"], entry["req"]["zarr"], entry["req"]["numcodecs"]) == (python, zarr, numcodecs)
    ]
    if not chosen:
        raise SystemExit(f"no environment {environment!r} in asv.conf.json's matrix")
    settings.update(
        repo=str(repo),
        branches=["HEAD"],
        benchmark_dir=str(repo / "benchmarks"),
        include=chosen,
        env_dir=str(workdir / "env"),
        results_dir=str(workdir / "results"),
        html_dir=str(workdir / "html"),
    )
    config = workdir / "asv.conf.json"
    config.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    return config


def continuous(config: Path, base: str, tip: str, factor: float, bench: str | None, log: Path) -> list[dict]:
    """``asv continuous`` of ``tip`` against ``base``: every row of its table (changed ones marked + or -)."""
    command = [
        sys.executable, "-m", "asv", "continuous", "--config", str(config), "--machine", MACHINE,
        "--factor", str(factor), "--no-only-changed", *(["--bench", bench] if bench else []), base, tip,
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=config.parent, capture_output=True, text=True, check=False)
    with log.open("a", encoding="utf-8") as stream:
        stream.write(f"$ {' '.join(command)}\n{completed.stdout}{completed.stderr}\n")
    if "BENCHMARKS" not in completed.stdout:
        raise SystemExit(f"asv continuous did not finish; see {log}")
    return [
        {key: match[key].strip() for key in ("mark", "before", "after", "ratio", "name")}
        for match in map(_ROW.match, completed.stdout.splitlines())
        if match and not match["name"].strip().startswith("Benchmark")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="A/B runs, and as many A/A runs (default 10)")
    parser.add_argument("--workdir", type=Path, required=True, help="scratch directory (made anew)")
    parser.add_argument("--codec", default="zstd-5", help="the codec whose family is slowed (default zstd-5)")
    parser.add_argument("--slowdown", type=float, default=0.10, help="fraction added (default 0.10)")
    parser.add_argument("--factor", type=float, default=1.05, help="asv continuous --factor (default 1.05)")
    parser.add_argument("--bench", help="asv's --bench regular expression (default: the whole default suite)")
    parser.add_argument(
        "--environment", default="3.11 3.1.6 0.16.6", help="'python zarr numcodecs' of the matrix"
    )
    args = parser.parse_args()

    family = args.codec.split("-")[0]
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    repo = args.workdir / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(repo)], check=True)
    base, same, slowed = make_commits(repo, family, args.slowdown)
    config = write_config(args.workdir, repo, args.environment)
    log = args.workdir / "asv.log"
    subprocess.run(
        [sys.executable, "-m", "asv", "machine", "--yes", "--machine", MACHINE, "--config", str(config)],
        capture_output=True, check=True,
    )  # fmt: skip

    runs = []
    for number in range(1, args.runs + 1):
        for kind, tip in (("A/A", same), ("A/B", slowed)):
            start = time.monotonic()
            rows = continuous(config, base, tip, args.factor, args.bench, log)
            seconds = time.monotonic() - start
            kept = args.workdir / "kept" / f"{kind.replace('/', '')}-{number}"
            shutil.copytree(args.workdir / "results", kept)
            changed = [row for row in rows if row["mark"] in "+-" and row["mark"]]
            if kind == "A/B":
                hit = any(row["mark"] == "+" and f"'{args.codec}'" in row["name"] for row in changed)
            else:
                hit = bool(changed)
            runs.append(
                {"kind": kind, "run": number, "flagged": hit, "rows": rows, "seconds": round(seconds)}
            )
            names = "; ".join(f"{row['mark']} {row['ratio']} {row['name']}" for row in changed) or "nothing"
            verdict = "FLAGGED" if hit else "not flagged"
            print(f"{kind} {number}: {verdict} in {seconds:.0f} s: {names}", flush=True)
            (args.workdir / "runs.json").write_text(json.dumps(runs, indent=2), encoding="utf-8")

    seen = sum(run["flagged"] for run in runs if run["kind"] == "A/B")
    alarms = sum(run["flagged"] for run in runs if run["kind"] == "A/A")
    print(
        f"{args.codec} {args.slowdown:.0%} slower, asv continuous --factor {args.factor}, "
        f"{args.environment}: "
        f"seen in {seen}/{args.runs} A/B runs; false alarms in {alarms}/{args.runs} A/A runs"
    )


if __name__ == "__main__":
    main()
