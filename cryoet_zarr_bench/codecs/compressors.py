"""General-purpose compressors (bytes to bytes): none, Blosc, Zstandard, gzip.  All lossless."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .grammar import CodecSpecError, Stage, parse_level, register

__all__ = ["BLOSC_CNAMES", "BLOSC_SHUFFLES", "LEVELS", "Blosc", "Gzip", "NoCompression", "Zstd"]

BLOSC_CNAMES = ("blosclz", "lz4", "lz4hc", "zlib", "zstd")
BLOSC_SHUFFLES = ("noshuffle", "shuffle", "bitshuffle")
# numcodecs.Blosc.NOSHUFFLE / SHUFFLE / BITSHUFFLE
_NUMCODECS_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}
LEVELS = {"blosc": range(1, 10), "zstd": range(1, 23), "gzip": range(1, 10)}


def _arguments(family: str, text: str, count: int) -> list[str]:
    arguments = text.split("-") if text else []
    if len(arguments) != count:
        raise CodecSpecError(f"{family} takes {count} argument(s), got {len(arguments)}")
    return arguments


@register
@dataclass(frozen=True)
class NoCompression(Stage):
    family: ClassVar[str] = "none"
    role: ClassVar[str] = "bytes_bytes"
    syntax: ClassVar[str] = "none"

    @classmethod
    def parse(cls, arguments: str) -> NoCompression:
        _arguments(cls.family, arguments, 0)
        return cls()

    def __str__(self) -> str:
        return "none"

    def numcodecs_config(self, dtype: np.dtype) -> None:
        return None

    def zarr_v3_codec(self, dtype: np.dtype) -> None:
        return None


@register
@dataclass(frozen=True)
class Blosc(Stage):
    cname: str
    level: int
    shuffle: str

    family: ClassVar[str] = "blosc"
    role: ClassVar[str] = "bytes_bytes"
    syntax: ClassVar[str] = (
        f"blosc-<cname>-<level 1-9>-<shuffle> (cname: {', '.join(BLOSC_CNAMES)}; "
        f"shuffle: {', '.join(BLOSC_SHUFFLES)})"
    )

    def __post_init__(self) -> None:
        if self.cname not in BLOSC_CNAMES:
            raise CodecSpecError(f"unknown Blosc compressor {self.cname!r}; valid: {', '.join(BLOSC_CNAMES)}")
        if self.shuffle not in BLOSC_SHUFFLES:
            raise CodecSpecError(
                f"unknown Blosc shuffle {self.shuffle!r}; valid: {', '.join(BLOSC_SHUFFLES)}"
            )

    @classmethod
    def parse(cls, arguments: str) -> Blosc:
        cname, level, shuffle = _arguments(cls.family, arguments, 3)
        return cls(cname=cname, level=parse_level(cls.family, level, LEVELS["blosc"]), shuffle=shuffle)

    def __str__(self) -> str:
        return f"blosc-{self.cname}-{self.level}-{self.shuffle}"

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        return {
            "id": "blosc",
            "cname": self.cname,
            "clevel": self.level,
            "shuffle": _NUMCODECS_SHUFFLE[self.shuffle],
            "blocksize": 0,
        }

    def zarr_v3_codec(self, dtype: np.dtype) -> dict[str, Any]:
        configuration = {"cname": self.cname, "clevel": self.level, "shuffle": self.shuffle, "blocksize": 0}
        return {"name": "blosc", "configuration": configuration}


@dataclass(frozen=True)
class _Leveled(Stage):
    level: int

    role: ClassVar[str] = "bytes_bytes"

    @classmethod
    def parse(cls, arguments: str) -> _Leveled:
        (level,) = _arguments(cls.family, arguments, 1)
        return cls(level=parse_level(cls.family, level, LEVELS[cls.family]))

    def __str__(self) -> str:
        return f"{self.family}-{self.level}"

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        return {"id": self.family, "level": self.level}


@register
@dataclass(frozen=True)
class Zstd(_Leveled):
    family: ClassVar[str] = "zstd"
    syntax: ClassVar[str] = "zstd-<level 1-22>"

    def zarr_v3_codec(self, dtype: np.dtype) -> dict[str, Any]:
        return {"name": "zstd", "configuration": {"level": self.level, "checksum": False}}


@register
@dataclass(frozen=True)
class Gzip(_Leveled):
    family: ClassVar[str] = "gzip"
    syntax: ClassVar[str] = "gzip-<level 1-9>"

    def zarr_v3_codec(self, dtype: np.dtype) -> dict[str, Any]:
        return {"name": "gzip", "configuration": {"level": self.level}}
