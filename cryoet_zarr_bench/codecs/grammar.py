"""The codec name grammar: one string per pipeline, parsed in one place.

A pipeline is zero or more *filters* (array to array) followed by one *compressor* (array to bytes or bytes to
bytes), joined by ``+``::

    bitround-12+blosc-zstd-5-shuffle
    quantize-6+zstd-5
    step-3.5e-6+pcodec-8
    zfp-accuracy-1e-6

Each stage is ``<family>-<arguments>``; the families live in small modules beside this one
(:mod:`.compressors`, :mod:`.float_codecs`, :mod:`.filters`) and register themselves in :data:`FAMILIES`.
``str(spec)`` gives the canonical name back and ``parse_codec(str(spec)) == spec``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import UserError

__all__ = [
    "CodecCannotExpress",
    "CodecSpec",
    "CodecSpecError",
    "CodecUnavailable",
    "FAMILIES",
    "NumcodecsStage",
    "Stage",
    "float_text",
    "parse_codec",
    "parse_float",
    "parse_level",
    "require_float",
]


class CodecSpecError(UserError, ValueError):
    """A codec name that does not describe a known configuration."""


class CodecUnavailable(UserError, NotImplementedError):
    """The package a codec needs is not installed (asv records the case as skipped, with this reason)."""


class CodecCannotExpress(UserError, NotImplementedError):
    """A valid pipeline that this data type, Zarr format or zarr-python release cannot store."""


class Stage:
    """One codec in a pipeline.  Subclasses are frozen dataclasses, one per family.

    ``role`` is the stage's Zarr format 3 kind: ``array_array`` (a filter), ``array_bytes`` (a compressor that
    serialises the array itself, such as pcodec or ZFP) or ``bytes_bytes`` (a general-purpose compressor).
    """

    family: ClassVar[str]
    role: ClassVar[str]
    #: The grammar of this family, for error messages.
    syntax: ClassVar[str]

    @classmethod
    def parse(cls, arguments: str) -> Stage:
        raise NotImplementedError

    @property
    def lossless(self) -> bool:
        return True

    def require(self) -> None:
        """Raise :class:`CodecUnavailable` if the package this codec needs is missing."""

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any] | None:
        """The numcodecs configuration (``numcodecs.get_codec(config)``); None means no codec at all."""
        raise NotImplementedError

    def zarr_v3_codec(self, dtype: np.dtype) -> dict[str, Any] | None:
        """The Zarr format 3 codec metadata; None means no codec at all."""
        raise NotImplementedError

    def encoded_dtype(self, dtype: np.dtype) -> np.dtype:
        """The data type this stage hands the next one (a filter may change it)."""
        return np.dtype(dtype)

    def error_bound(self, original: np.ndarray) -> np.ndarray | float | None:
        """The largest absolute error this stage promises, per element (broadcastable to ``original``).

        0.0 for lossless stages; None when the codec states no bound (e.g. ZFP's fixed precision).
        """
        return 0.0

    def check_values(self, values: np.ndarray) -> None:
        """Raise :class:`CodecCannotExpress` if this stage cannot encode these values faithfully (e.g. NaN
        through an integer quantiser); most stages take any value of their data type."""


class NumcodecsStage(Stage):
    """A stage Zarr format 3 stores through zarr-python's ``numcodecs.<id>`` codec: its Zarr 3 codec is its
    numcodecs configuration under that name."""

    def zarr_v3_codec(self, dtype: np.dtype) -> dict[str, Any]:
        configuration = dict(self.numcodecs_config(dtype))  # type: ignore[arg-type]
        return {"name": f"numcodecs.{configuration.pop('id')}", "configuration": configuration}


#: family name -> Stage subclass; filled by the family modules.
FAMILIES: dict[str, type[Stage]] = {}


def register(cls: type[Stage]) -> type[Stage]:
    FAMILIES[cls.family] = cls
    return cls


def grammar() -> str:
    filters = " | ".join(c.syntax for c in FAMILIES.values() if c.role == "array_array")
    compressors = " | ".join(c.syntax for c in FAMILIES.values() if c.role != "array_array")
    return (
        f"[<filter>+...]<compressor>, where a filter is {filters} and a compressor is {compressors}; "
        "e.g. blosc-zstd-5-shuffle, bitround-12+zstd-5, zfp-accuracy-1e-6"
    )


@dataclass(frozen=True)
class CodecSpec:
    """A pipeline: filters applied in order, then one compressor.  Build one with :func:`parse_codec`."""

    compressor: Stage
    filters: tuple[Stage, ...] = ()

    def __post_init__(self) -> None:
        if self.compressor.role == "array_array":
            raise CodecSpecError(f"{self.compressor} is a filter; a pipeline ends with a compressor")
        for stage in self.filters:
            if stage.role != "array_array":
                raise CodecSpecError(
                    f"{stage} is a compressor; only filters ({', '.join(_filter_families())}) may come "
                    "before the last '+'"
                )

    def __str__(self) -> str:
        return "+".join(str(stage) for stage in (*self.filters, self.compressor))

    @property
    def stages(self) -> tuple[Stage, ...]:
        return (*self.filters, self.compressor)

    @property
    def lossless(self) -> bool:
        """Whether decoding must give back the exact input (every stage lossless)."""
        return all(stage.lossless for stage in self.stages)

    def require(self) -> None:
        """Raise :class:`CodecUnavailable` naming the first missing package, if any."""
        for stage in self.stages:
            stage.require()

    def check(self, dtype: np.dtype) -> None:
        """Raise :class:`CodecUnavailable` or :class:`CodecCannotExpress` if this pipeline cannot store
        ``dtype`` data here (a package missing, a stage given a data type it cannot take)."""
        self.require()
        self.zarr_v2(dtype)

    def check_values(self, values: np.ndarray) -> None:
        """Raise :class:`CodecCannotExpress` if a stage cannot encode ``values`` faithfully (checked before
        anything is written, so a refused write leaves no store behind)."""
        for stage in self.stages:
            stage.check_values(values)

    def zarr_v2(self, dtype: np.dtype) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Zarr format 2 metadata: the numcodecs ``filters`` configurations and the ``compressor`` one."""
        filters, dtype = self._filter_configs(dtype, "numcodecs_config")
        return filters, self.compressor.numcodecs_config(dtype)  # type: ignore[return-value]

    def _filter_configs(self, dtype: np.dtype, translation: str) -> tuple[list[dict[str, Any]], np.dtype]:
        """Each filter's configuration for the data type it receives, and the type the compressor receives."""
        dtype = np.dtype(dtype)
        configs = []
        for stage in self.filters:
            configs.append(getattr(stage, translation)(dtype))
            dtype = stage.encoded_dtype(dtype)
        return configs, dtype

    def zarr_v3(self, dtype: np.dtype) -> dict[str, list[dict[str, Any]] | dict[str, Any] | None]:
        """Zarr format 3 codecs by role: ``filters`` (array to array), ``serializer`` (array to bytes; None
        for the default ``bytes`` codec) and ``compressors`` (bytes to bytes)."""
        filters, dtype = self._filter_configs(dtype, "zarr_v3_codec")
        compressor = self.compressor.zarr_v3_codec(dtype)
        array_bytes = self.compressor.role == "array_bytes"
        return {
            "filters": filters,
            "serializer": compressor if array_bytes else None,
            "compressors": [] if array_bytes or compressor is None else [compressor],
        }

    def numcodecs_config(self, dtype: np.dtype = np.dtype("<f4")) -> dict[str, Any] | None:
        """The one numcodecs configuration of a filterless pipeline (None for ``none``), as before pipelines.

        Raises :class:`CodecCannotExpress` for a pipeline with filters: use :meth:`zarr_v2`.
        """
        if self.filters:
            raise CodecCannotExpress(f"{self} has filters, so no one numcodecs configuration; use zarr_v2()")
        return self.compressor.numcodecs_config(np.dtype(dtype))

    def zarr_v3_codec(self, dtype: np.dtype = np.dtype("<f4")) -> dict[str, Any] | None:
        """The single Zarr format 3 bytes-to-bytes codec of a filterless general-purpose compressor (None for
        ``none``), as before pipelines.  Raises :class:`CodecCannotExpress` otherwise: use :meth:`zarr_v3`."""
        if self.filters or self.compressor.role != "bytes_bytes":
            raise CodecCannotExpress(f"{self} is not a single bytes-to-bytes codec; use zarr_v3()")
        return self.compressor.zarr_v3_codec(np.dtype(dtype))

    def error_bound(self, original: np.ndarray) -> np.ndarray | float | None:
        """The largest absolute error the pipeline promises per element: the sum of its stages' bounds
        (errors of successive stages add at most), or None if some lossy stage states none."""
        bounds = [stage.error_bound(original) for stage in self.stages]
        if any(bound is None for bound in bounds):
            return None
        return sum(bounds)  # type: ignore[arg-type]


def _filter_families() -> list[str]:
    return [name for name, cls in FAMILIES.items() if cls.role == "array_array"]


def parse_codec(text: str | CodecSpec) -> CodecSpec:
    """Parse a pipeline name such as ``bitround-12+blosc-zstd-5-shuffle`` (a spec is returned unchanged)."""
    if isinstance(text, CodecSpec):
        return text
    names = text.strip().lower().split("+")
    if any(not name.strip() for name in names):
        raise CodecSpecError(f"cannot parse codec {text!r}: empty stage; valid codecs: {grammar()}")
    *filters, compressor = (_parse_stage(name.strip(), text) for name in names)
    return CodecSpec(compressor=compressor, filters=tuple(filters))


def _parse_stage(name: str, text: str) -> Stage:
    family, _, arguments = name.partition("-")
    cls = FAMILIES.get(family)
    if cls is None:
        raise CodecSpecError(
            f"cannot parse codec {text!r}: unknown family {family!r}; valid codecs: {grammar()}"
        )
    try:
        return cls.parse(arguments)
    except CodecSpecError as error:
        raise CodecSpecError(f"cannot parse codec {text!r}: {error}; {cls.family} is {cls.syntax}") from None


def require_float(name: str, dtype: np.dtype) -> None:
    """Raise :class:`CodecCannotExpress` unless ``dtype`` is a float type (for codecs of float data only)."""
    if np.dtype(dtype).kind != "f":
        raise CodecCannotExpress(f"{name} compresses float data; it would receive {np.dtype(dtype)}")


def parse_level(family: str, text: str, levels: range) -> int:
    """A whole-number setting within ``levels``, or a :class:`CodecSpecError` saying what is allowed."""
    try:
        level = int(text)
    except ValueError:
        raise CodecSpecError(f"{family} level {text!r} is not a whole number") from None
    if level not in levels:
        raise CodecSpecError(f"{family} level must be {levels.start}-{levels.stop - 1}, got {level!r}")
    return level


def parse_float(family: str, text: str) -> float:
    """A positive finite number such as ``1e-6`` or ``0.35``."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise CodecSpecError(f"{family}: {text!r} is not a positive number")
    return value


def float_text(value: float) -> str:
    """The shortest name of a float that reads back equal: 1e-06 -> ``1e-6``, 3.5e-06 -> ``3.5e-6``."""
    text = repr(float(value))
    text = re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)
    return text[:-2] if text.endswith(".0") else text
