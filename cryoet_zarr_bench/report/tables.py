"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..measure import Measurement

__all__ = ["format_table", "seed_table"]

SEED_COLUMNS = (
    "method", "write s", "read s", "ratio", "chunks MB", "metadata B", "saved MB", "saved %", "round trip ok"
)


def format_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the first column left-aligned, the rest right-aligned."""
    rows = [list(map(str, row)) for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (
            cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(cells, widths))
        )
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def seed_table(measurements: Iterable[Measurement]) -> str:
    """The seed report's table: one row per codec, sizes in MB (10^6 bytes); the ratio is raw ÷ chunk bytes."""
    rows = (
        (
            m.codec,
            f"{m.write_s:.4f}",
            f"{m.read_s:.4f}",
            f"{m.ratio:.3f}",
            f"{m.stored.chunks / 1e6:.3f}",
            str(m.stored.metadata),
            f"{m.saved_bytes / 1e6:.3f}",
            f"{m.saved_pct:.1f}",
            "yes" if m.lossless_ok else "NO",
        )
        for m in measurements
    )
    return format_table(SEED_COLUMNS, rows)
