"""Codec configurations: one short string form, parsed in one place.

A :class:`CodecSpec` names a compressor configuration the way it appears everywhere in this project (command
line, asv parameters, reports)::

    none                      no compression
    blosc-<cname>-<level>-<shuffle>
                              Blosc; cname in blosclz, lz4, lz4hc, zlib, zstd; level 1-9;
                              shuffle in noshuffle, shuffle, bitshuffle
    zstd-<level>              standalone Zstandard, level 1-22
    gzip-<level>              gzip (zlib deflate), level 1-9

``str(spec)`` gives the string back and ``parse_codec(str(spec)) == spec``.  A spec translates to the two
on-disk vocabularies: a numcodecs configuration (the Zarr format 2 ``compressor``, and what decodes a chunk
directly) and a Zarr format 3 codec (the ``codecs`` entry in ``zarr.json``).  Both are plain dictionaries,
so this module needs neither zarr nor a particular numcodecs version.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BLOSC_CNAMES",
    "BLOSC_SHUFFLES",
    "CODEC_SETS",
    "CodecSpec",
    "CodecSpecError",
    "codec_set",
    "parse_codec",
]

BLOSC_CNAMES = ("blosclz", "lz4", "lz4hc", "zlib", "zstd")
BLOSC_SHUFFLES = ("noshuffle", "shuffle", "bitshuffle")
# numcodecs.Blosc.NOSHUFFLE / SHUFFLE / BITSHUFFLE
_NUMCODECS_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}
LEVELS = {"blosc": range(1, 10), "zstd": range(1, 23), "gzip": range(1, 10)}

_GRAMMAR = (
    "none | blosc-<cname>-<level>-<shuffle> | zstd-<level> | gzip-<level>, where cname is one of "
    f"{', '.join(BLOSC_CNAMES)}; shuffle is one of {', '.join(BLOSC_SHUFFLES)}; "
    "levels are 1-9 (blosc, gzip) or 1-22 (zstd); e.g. blosc-zstd-5-shuffle, zstd-5"
)


class CodecSpecError(ValueError):
    """A codec name that does not describe a known configuration."""


@dataclass(frozen=True)
class CodecSpec:
    """A lossless compressor configuration; build one with :func:`parse_codec`."""

    family: str
    level: int | None = None
    cname: str | None = None
    shuffle: str | None = None

    def __post_init__(self) -> None:
        if self.family == "none":
            if (self.level, self.cname, self.shuffle) != (None, None, None):
                raise CodecSpecError("codec 'none' takes no level, cname or shuffle")
            return
        if self.family not in LEVELS:
            raise CodecSpecError(f"unknown codec family {self.family!r}; valid codecs: {_GRAMMAR}")
        levels = LEVELS[self.family]
        if self.level not in levels:
            raise CodecSpecError(
                f"{self.family} level must be {levels.start}-{levels.stop - 1}, got {self.level!r}"
            )
        if self.family == "blosc":
            if self.cname not in BLOSC_CNAMES:
                raise CodecSpecError(
                    f"unknown Blosc compressor {self.cname!r}; valid: {', '.join(BLOSC_CNAMES)}"
                )
            if self.shuffle not in BLOSC_SHUFFLES:
                raise CodecSpecError(
                    f"unknown Blosc shuffle {self.shuffle!r}; valid: {', '.join(BLOSC_SHUFFLES)}"
                )
        elif (self.cname, self.shuffle) != (None, None):
            raise CodecSpecError(f"codec {self.family!r} takes only a level")

    def __str__(self) -> str:
        if self.family == "none":
            return "none"
        if self.family == "blosc":
            return f"blosc-{self.cname}-{self.level}-{self.shuffle}"
        return f"{self.family}-{self.level}"

    @property
    def lossless(self) -> bool:
        """Whether decoding must give back the exact input (true of every codec defined so far)."""
        return True

    def numcodecs_config(self) -> dict[str, Any] | None:
        """The numcodecs configuration (``numcodecs.get_codec(config)``), or None for no compression."""
        if self.family == "none":
            return None
        if self.family == "blosc":
            return {
                "id": "blosc",
                "cname": self.cname,
                "clevel": self.level,
                "shuffle": _NUMCODECS_SHUFFLE[self.shuffle],
                "blocksize": 0,
            }
        return {"id": self.family, "level": self.level}

    def zarr_v3_codec(self) -> dict[str, Any] | None:
        """The Zarr format 3 bytes-to-bytes codec metadata, or None for no compression."""
        if self.family == "none":
            return None
        if self.family == "blosc":
            configuration = {
                "cname": self.cname,
                "clevel": self.level,
                "shuffle": self.shuffle,
                "blocksize": 0,
            }
        elif self.family == "zstd":
            configuration = {"level": self.level, "checksum": False}
        else:
            configuration = {"level": self.level}
        return {"name": self.family, "configuration": configuration}


def parse_codec(text: str | CodecSpec) -> CodecSpec:
    """Parse a codec name such as ``blosc-lz4-5-shuffle`` (a :class:`CodecSpec` is returned unchanged)."""
    if isinstance(text, CodecSpec):
        return text
    parts = text.strip().lower().split("-")
    family, args = parts[0], parts[1:]
    expected_args = {"none": 0, "blosc": 3, "zstd": 1, "gzip": 1}
    if family not in expected_args or len(args) != expected_args[family]:
        raise CodecSpecError(f"cannot parse codec {text!r}; valid codecs: {_GRAMMAR}")
    if family == "none":
        return CodecSpec("none")
    level_text = args[1] if family == "blosc" else args[0]
    try:
        level = int(level_text)
    except ValueError:
        raise CodecSpecError(
            f"codec {text!r}: level {level_text!r} is not a whole number; valid codecs: {_GRAMMAR}"
        ) from None
    if family == "blosc":
        return CodecSpec("blosc", level=level, cname=args[0], shuffle=args[2])
    return CodecSpec(family, level=level)


def _all_codecs() -> tuple[str, ...]:
    blosc = (
        f"blosc-{cname}-{level}-{shuffle}"
        for cname, shuffle, level in itertools.product(BLOSC_CNAMES, BLOSC_SHUFFLES, LEVELS["blosc"])
    )
    standalone = (f"{family}-{level}" for family in ("zstd", "gzip") for level in LEVELS[family])
    return ("none", *blosc, *standalone)


#: Named sets of codecs, for the command line and the asv suite's ``CRYOET_ZARR_BENCH_CODECS``.
CODEC_SETS: dict[str, tuple[str, ...]] = {
    # The seed report's four configurations.
    "seed": ("none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-5"),
    # Every Blosc compressor and shuffle at level 5, plus the standalone codecs at level 5.
    "shuffles": (
        "none",
        *(f"blosc-{cname}-5-{shuffle}" for cname in BLOSC_CNAMES for shuffle in BLOSC_SHUFFLES),
        "zstd-5",
        "gzip-5",
    ),
    # Every configuration this module can name.
    "all": _all_codecs(),
}


def codec_set(text: str) -> tuple[str, ...]:
    """Codec names from a set name in :data:`CODEC_SETS` or a comma-separated list of codec names.

    Each name is validated and returned in its canonical form.
    """
    names = CODEC_SETS.get(text.strip())
    if names is None:
        names = tuple(name for name in text.split(",") if name.strip())
        if not names:
            raise CodecSpecError(
                f"no codecs in {text!r}; give a set ({', '.join(CODEC_SETS)}) or comma-separated codec names"
            )
    return tuple(str(parse_codec(name)) for name in names)
