"""The CryoET Data Portal source: ``portal:DATASET/RUN`` -> one tomogram -> a crop of its OME-Zarr.

The run's tomograms come from the portal's GraphQL API (through the ``cryoet-data-portal`` client); the
tomogram's OME-Zarr is read anonymously from S3 with s3fs, fetching only the chunks the crop touches.

Choosing the tomogram
---------------------
The source's options (``spacing``, ``processing``, ``method``, ``tomogram``) keep only the tomograms that
match them. Among those, the first in this order is read:

1. processing ``raw`` before derived versions (denoised, filtered, ...): the reconstruction as deposited;
2. portal-standard reconstructions before others;
3. the finest voxel spacing;
4. the lowest tomogram id.

So the choice never depends on the order the API lists tomograms in; the provenance records the tomogram
read and the ids of all candidates.

Configuration
-------------
``CRYOET_ZARR_BENCH_PORTAL_URL`` replaces the portal's GraphQL endpoint, and botocore's
``AWS_ENDPOINT_URL_S3`` the S3 endpoint (both for mirrors and tests). Retries and timeouts are those of
:func:`cryoet_zarr_bench.sources.network.network_settings` (environment variables
``CRYOET_ZARR_BENCH_NETWORK_ATTEMPTS``, ``..._CONNECT_TIMEOUT``, ``..._READ_TIMEOUT``), and a read that
receives nothing for ``CRYOET_ZARR_BENCH_NETWORK_DEADLINE`` seconds gives up.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from ..volume import Volume
from . import network
from .crops import PORTAL_DEFAULT_CROP, unsigned
from .errors import SourceError, one_line
from .kinds import SourceKind, register
from .ome_zarr import read_ome_zarr
from .spec import SourceSpec, TomogramFilter

__all__ = ["PORTAL_API_ENV", "PORTAL_REGION", "choose_tomogram", "read_portal"]

PORTAL_API_ENV = "CRYOET_ZARR_BENCH_PORTAL_URL"
#: Region of the portal's public bucket (``cryoet-data-portal-public``).
PORTAL_REGION = "us-west-2"
_PORTAL_WEBSITE = "https://cryoetdataportal.czscience.com"
_SPACING_TOLERANCE = 5e-4  # the portal writes voxel spacings with three decimals

T = TypeVar("T")
_PORTAL_LOCATION = re.compile(r"(\d+)/([^/]+)")
_TOO_MANY_ERRORS = re.compile(r"too many (\d{3}) error responses")


def _import_portal_client(source: str) -> Any:
    try:
        import cryoet_data_portal
        import s3fs  # noqa: F401  (needed to read the tomogram; fail before any query)
    except ImportError as error:
        raise SourceError(
            f"reading {source} needs {error.name}: pip install 'cryoet-zarr-bench[portal]', "
            f"or run `cryoet-zarr-bench fetch {source}` where it is installed"
        ) from None
    return cryoet_data_portal


@functools.lru_cache(maxsize=4)
def _client(url: str | None) -> Any:
    """A portal client for ``url`` (None: the portal's own) whose requests use ``network.network_settings()``.

    Kept per URL: building one parses the client's GraphQL schema, which takes about half a second.
    """
    import cryoet_data_portal

    client = cryoet_data_portal.Client(url=url)
    make_gql_client = client.get_client

    def get_client_with_timeouts() -> Any:
        # The client builds a new transport for every query, with 3 retries and no timeout.
        gql_client = make_gql_client()
        settings = network.network_settings()
        gql_client.transport.default_timeout = (settings.connect_timeout, settings.read_timeout)
        gql_client.transport.retries = settings.attempts - 1
        return gql_client

    client.get_client = get_client_with_timeouts
    return client


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps, however deep the client libraries wrapped it."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]


def _timed_out(error: BaseException) -> bool:
    """Whether a failed request ended in a timeout."""
    import urllib3.exceptions

    return any(
        isinstance(cause, (TimeoutError, urllib3.exceptions.TimeoutError))
        # a refused connection is a NewConnectionError, a subclass of TimeoutError for history's sake
        and not isinstance(cause, urllib3.exceptions.NewConnectionError)
        for cause in _causes(error)
    )


def _http_status(error: BaseException) -> int | None:
    """The HTTP status the server answered a failed request with (the last try's), if it answered."""
    for cause in _causes(error):
        code = getattr(cause, "code", None)
        if isinstance(code, int) and 100 <= code < 600:
            return code
        status = getattr(getattr(cause, "response", None), "status_code", None)
        if isinstance(status, int):
            return status
        too_many = _TOO_MANY_ERRORS.search(str(cause))  # urllib3 gave up retrying these statuses
        if too_many:
            return int(too_many.group(1))
    return None


def _query(client: Any, run_query: Callable[[], T]) -> T:
    """Run one API query, turning transport failures into a one-line :class:`SourceError`."""
    import requests
    from gql.transport.exceptions import TransportError, TransportProtocolError, TransportQueryError
    from graphql import GraphQLError

    try:
        return run_query()
    except (TransportQueryError, GraphQLError) as error:
        raise SourceError(
            f"the CryoET Data Portal API at {client.url} rejected a query or answered with data of the wrong "
            f"types ({one_line(error)}); its schema may have changed: pip install -U cryoet-data-portal"
        ) from error
    except TransportProtocolError as error:
        raise SourceError(
            f"the server at {client.url} answered with something that is not GraphQL JSON "
            f"({one_line(error)}); check that {PORTAL_API_ENV} (if set) names the portal's GraphQL endpoint"
        ) from error
    except (requests.RequestException, TransportError) as error:
        status = _http_status(error)
        if status is not None:
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "a status HTTP does not define"
            raise SourceError(
                f"the CryoET Data Portal API at {client.url} answered HTTP {status} ({phrase}) after "
                f"{network.network_settings().attempts} attempt(s); the server has a problem: retry later, "
                f"or check {PORTAL_API_ENV} if it is set"
            ) from error
        if not _timed_out(error):
            raise SourceError(
                f"cannot reach the CryoET Data Portal API at {client.url} ({one_line(error)}); check the "
                "network connection and retry, or use a source that needs no network: "
                "synthetic or a local file"
            ) from error
        raise SourceError(
            f"no answer from the CryoET Data Portal API at {client.url} ({one_line(error)}) with "
            f"{network.network_settings().describe()}; retry later, or allow more with "
            f"{network.NETWORK_ENV['read_timeout']} and {network.NETWORK_ENV['attempts']}"
        ) from error


def _suggestion(wanted: str, known: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(wanted, known, n=3)
    if close:
        return f"did you mean {' or '.join(close)}?"
    examples = ", ".join(sorted(known)[:5])
    return f"it has {len(known)} {what}, e.g. {examples}" if known else f"it has no {what}"


def _find_run(client: Any, portal: Any, dataset_id: int, run_name: str) -> Any:
    """The run ``run_name`` of dataset ``dataset_id``, or a :class:`SourceError` suggesting close names."""
    Dataset, Run = portal.Dataset, portal.Run
    runs = _query(client, lambda: Run.find(client, [Run.dataset_id == dataset_id, Run.name == run_name]))
    if runs:
        return min(runs, key=lambda run: run.id)
    names = [run.name for run in _query(client, lambda: Run.find(client, [Run.dataset_id == dataset_id]))]
    if names:
        raise SourceError(
            f"dataset {dataset_id} has no run {run_name!r}; {_suggestion(run_name, names, 'runs')}"
        )
    if _query(client, lambda: Dataset.find(client, [Dataset.id == dataset_id])):
        raise SourceError(f"dataset {dataset_id} has no runs; choose another dataset on {_PORTAL_WEBSITE}")
    dataset_ids = [str(dataset.id) for dataset in _query(client, lambda: Dataset.find(client))]
    raise SourceError(
        f"the CryoET Data Portal has no dataset {dataset_id}; "
        f"{_suggestion(str(dataset_id), dataset_ids, 'datasets')} (browse {_PORTAL_WEBSITE})"
    )


def _matches(tomogram: Any, wanted: TomogramFilter) -> bool:
    def same_text(value: str | None, wanted_value: str | None) -> bool:
        return wanted_value is None or (value or "").lower() == wanted_value.lower()

    return (
        (wanted.tomogram_id is None or tomogram.id == wanted.tomogram_id)
        and (
            wanted.voxel_spacing is None
            or abs(tomogram.voxel_spacing - wanted.voxel_spacing) < _SPACING_TOLERANCE
        )
        and same_text(tomogram.processing, wanted.processing)
        and same_text(tomogram.reconstruction_method, wanted.reconstruction_method)
    )


def _rank(tomogram: Any) -> tuple:
    """Sort key of the default choice (see the module docstring)."""
    return (
        tomogram.processing != "raw",
        not tomogram.is_portal_standard,
        tomogram.voxel_spacing,
        tomogram.id,
    )


def _describe(tomogram: Any) -> str:
    standard = ", portal standard" if tomogram.is_portal_standard else ""
    return (
        f"tomogram={tomogram.id} (spacing={tomogram.voxel_spacing:g} Å, processing={tomogram.processing}, "
        f"method={tomogram.reconstruction_method}{standard})"
    )


def choose_tomogram(tomograms: Sequence[Any], wanted: TomogramFilter, *, where: str) -> Any:
    """The tomogram to read among ``tomograms`` (portal ``Tomogram`` records) of the run named by ``where``.

    Raises
    ------
    SourceError
        If none matches ``wanted``; the message lists every tomogram of the run.
    """
    if not tomograms:
        raise SourceError(f"{where} has no tomograms; choose another run")
    matching = [tomogram for tomogram in tomograms if _matches(tomogram, wanted)]
    if not matching:
        listing = "; ".join(_describe(t) for t in sorted(tomograms, key=lambda t: t.id))
        raise SourceError(f"no tomogram of {where} matches {wanted}; it has {listing}")
    return min(matching, key=_rank)


def read_portal(
    spec: SourceSpec,
    *,
    progress: bool = False,
    before_reading: Callable[[tuple[int, ...], Any], None] | None = None,
) -> Volume:
    """Resolve a ``portal:`` source to one tomogram and read its crop (see the module docstring).

    ``before_reading`` is called with the crop's shape and data type before any chunk is fetched.
    """
    source = str(spec)
    portal = _import_portal_client(source)
    client = _client(os.environ.get(PORTAL_API_ENV) or None)
    Tomogram = portal.Tomogram

    def find_tomograms(heard: Callable[[], None]) -> tuple[Any, list[Any]]:
        run = _find_run(client, portal, spec.dataset_id, spec.run_name)
        heard()
        return run, _query(client, lambda: Tomogram.find(client, [Tomogram.run_id == run.id]))

    what = f"the CryoET Data Portal API at {client.url}"
    run, tomograms = network.run_with_deadline(what, find_tomograms, notices=progress)
    where = f"run {run.name} of dataset {spec.dataset_id}"
    tomogram = choose_tomogram(tomograms, spec.tomogram or TomogramFilter(), where=where)
    if not tomogram.s3_omezarr_dir:
        raise SourceError(
            f"tomogram {tomogram.id} of {where} has no OME-Zarr on the portal; pick another with ?tomogram=ID"
        )
    assert spec.level is not None  # portal sources always have a level
    volume = read_ome_zarr(
        tomogram.s3_omezarr_dir,
        level=spec.level,
        crop=spec.crop,
        source=source,
        storage_options=network.s3_storage_options(region=PORTAL_REGION),
        progress=progress,
        before_reading=before_reading,
    )
    provenance = {
        **volume.provenance,
        "kind": "portal",
        "portal_api": client.url,
        "dataset_id": spec.dataset_id,
        "run_name": run.name,
        "run_id": run.id,
        "tomogram_id": tomogram.id,
        "tomogram_name": tomogram.name,
        "tomogram_voxel_spacing": tomogram.voxel_spacing,
        "processing": tomogram.processing,
        "reconstruction_method": tomogram.reconstruction_method,
        "is_portal_standard": tomogram.is_portal_standard,
        "tomogram_filter": str(spec.tomogram or TomogramFilter()),
        "candidate_tomograms": sorted(t.id for t in tomograms),
    }
    return Volume(volume.data, volume.voxel_spacing, source, provenance)


def list_runs(dataset_id: int) -> list[str]:
    """The names of every run of portal dataset ``dataset_id``, sorted;
    a :class:`SourceError` if it has none."""
    portal = _import_portal_client(f"portal:{dataset_id}")
    client = _client(os.environ.get(PORTAL_API_ENV) or None)
    Run = portal.Run
    runs = network.run_with_deadline(
        f"the CryoET Data Portal API at {client.url}",
        lambda heard: _query(client, lambda: Run.find(client, [Run.dataset_id == dataset_id])),
        notices=False,
    )
    names = sorted({run.name for run in runs})
    if not names:
        raise SourceError(
            f"the CryoET Data Portal lists no runs for dataset {dataset_id}; "
            f"check the id on {_PORTAL_WEBSITE}"
        )
    return names


def _check_location(location: str) -> None:
    if not _PORTAL_LOCATION.fullmatch(location):
        raise SourceError(
            f"cannot read portal location {location!r}: write portal:DATASET_ID/RUN_NAME, "
            "e.g. portal:10445/TS_100_3"
        )


def _tomogram_filter(options: dict[str, str]) -> dict[str, Any]:
    """The ``tomogram`` field of a portal source, from its ``spacing``, ``processing``, ``method`` and
    ``tomogram`` options (None when none is given)."""
    spacing = options.get("spacing")
    try:
        voxel_spacing = None if spacing is None else float(spacing)
    except ValueError:
        raise SourceError(f"spacing must be a number of ångström, got {spacing!r}") from None
    tomogram = TomogramFilter(
        voxel_spacing=voxel_spacing,
        processing=options.get("processing"),
        reconstruction_method=options.get("method"),
        tomogram_id=None if "tomogram" not in options else unsigned(options["tomogram"], "tomogram"),
    )
    return {"tomogram": None if tomogram == TomogramFilter() else tomogram}


register(
    SourceKind(
        "portal",
        syntax="portal:DATASET/RUN",
        options=(
            "spacing", "processing", "method", "tomogram",
            "crop", "level", "dtype", "lossy", "halves", "sigma",
        ),  # fmt: skip
        read=read_portal,
        check_location=_check_location,
        remote=True,
        defaults={"level": 0},
        default_crop=PORTAL_DEFAULT_CROP,
        parse_options=_tomogram_filter,
        always_cached=True,
    )
)
