"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..measure import Measurement

__all__ = ["format_table", "measurement_table"]

LOSSLESS_COLUMNS = (
    "method", "write s", "read s", "ratio", "chunks MB", "metadata B", "saved MB", "saved %", "round trip ok"
)
#: With lossy codecs in the table: their check is their own error bound, and their fidelity is shown.
LOSSY_COLUMNS = (
    *LOSSLESS_COLUMNS[:-1],
    "within bound",
    "PSNR dB",
    "max error",
    "SSIM",
    "added noise %",
    "of Gaussian ref.",
    "safe",
)


def format_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the first column left-aligned, the rest right-aligned."""
    rows = [list(map(str, row)) for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))
        )
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def measurement_table(measurements: Iterable[Measurement]) -> str:
    """The table ``cryoet-zarr-bench quick`` prints: one row per codec, sizes in MB (10^6 bytes);
    the ratio is raw ÷ chunk bytes.

    If any codec is lossy, "within bound" replaces "round trip ok" (a lossless codec's bound is exactness) and
    fidelity columns follow, blank for lossless codecs.
    """
    measurements = list(measurements)
    lossy = any(m.fidelity is not None for m in measurements)
    rows = []
    for m in measurements:
        row = [
            m.codec,
            f"{m.write_s:.4f}",
            f"{m.read_s:.4f}",
            f"{m.ratio:.3f}",
            f"{m.stored.chunks / 1e6:.3f}",
            str(m.stored.metadata),
            f"{m.saved_bytes / 1e6:.3f}",
            f"{m.saved_pct:.1f}",
        ]
        if not lossy:
            rows.append([*row, "yes" if m.lossless_ok else "NO"])
            continue
        check = {True: "yes", False: "NO", None: "no bound"}[m.error.within]
        f = m.fidelity
        figures = ["", "", "", "", "", ""] if f is None else [
            f"{f.psnr_db:.1f}",
            f"{f.max_abs_error:.3g}",
            "n/a" if f.ssim is None else f"{f.ssim:.4f}",
            f"{100 * f.added_noise_fraction:.3f}",
            "" if m.fraction_of_reference is None else f"{m.fraction_of_reference:.2f}",
            {True: "yes", False: "no", None: "n/a"}[f.safe],
        ]
        rows.append([m.setting if m.setting != m.codec else m.codec, *row[1:], check, *figures])
    return format_table(LOSSY_COLUMNS if lossy else LOSSLESS_COLUMNS, rows)
