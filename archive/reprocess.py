"""Re-derive posts from their stored raw payloads after a parser or normalizer change
(``podium reprocess``).

The path is a crawl's: ``parse_payload`` -> ``normalize_post``, on the payload each post's row
points at (its latest observation, so a newer caption is never replaced by an older one's).
Parsing and normalizing run in a process pool, one chunk of posts per task, a few chunks in
flight (memory stays flat); the parent compares each result with what the archive holds
(``archive.post_merge.rederive``) and writes only what changed, one transaction per chunk. A
re-derivation is not an observation: no post_version, no metric_snapshot, no last-seen time.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from time import perf_counter
from typing import Any

from sqlalchemy.engine import Engine

from archive import normalize, store
from archive.post_merge import DERIVED_FIELDS, Rederivation
from archive.rederivation import PayloadRow, Rederived, derive_chunk
from archive.report import plural

#: Posts per task sent to a worker (and per write transaction).
DEFAULT_CHUNK = 100
#: Posts each worker process must get for a pool to be faster than this process alone:
#: starting a worker (imports, language models) costs about the CPU of re-deriving 2,000
#: posts here, and every post's payload and result cross between processes
#: (bench/reprocess.py: 2 workers were 0.76x one process at 3,000 posts, 0.98x at 6,000).
POOL_MIN_POSTS_PER_WORKER = 3000
#: Changed posts a report names one by one (the counts cover them all).
SAMPLES = 20


@dataclass(slots=True)
class ReprocessReport:
    """What a reprocess did (or, with ``dry_run``, would do)."""

    version: str
    selection: str
    dry_run: bool
    workers: int
    selected: int = 0
    without_payload: int = 0
    changed: int = 0
    unchanged: int = 0
    kept: int = 0
    problems: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    kept_reasons: Counter[str] = field(default_factory=Counter)
    problem_reasons: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rederived(self) -> int:
        """Posts whose payload was read again."""
        return self.changed + self.unchanged + self.kept + self.problems

    def take(self, derived: Sequence[Rederived], outcomes: Sequence[Rederivation]) -> None:
        """Count one applied chunk."""
        for d, o in zip(derived, outcomes, strict=True):
            if o.outcome == "changed":
                self.changed += 1
                self.fields.update(o.fields)
                if len(self.samples) < SAMPLES:
                    self.samples.append(
                        {
                            "post_id": d.post_id,
                            "platform": d.platform,
                            "platform_post_id": d.platform_post_id,
                            "fields": list(o.fields),
                        }
                    )
            elif o.outcome == "unchanged":
                self.unchanged += 1
            elif o.outcome == "kept":
                self.kept += 1
                self.kept_reasons[o.reason or "?"] += 1
            else:
                self.problems += 1
                self.problem_reasons[o.reason or "?"] += 1

    def summary(self) -> str:
        """One paragraph: ``N posts re-derived: X changed (language 12, ...), Y unchanged, Z
        problems``, then what was kept and what had no payload."""
        verb = "would change" if self.dry_run else "changed"
        fields = ", ".join(f"{f} {self.fields[f]}" for f in DERIVED_FIELDS if self.fields[f])
        text = (
            f"{plural(self.rederived, 'post')} re-derived under normalizer version "
            f"{self.version}{' (dry run: nothing written)' if self.dry_run else ''}: "
            f"{self.changed} {verb}{f' ({fields})' if fields else ''}, "
            f"{self.unchanged} unchanged, {plural(self.problems, 'problem')}"
        )
        if self.kept:
            why = "; ".join(f"{r}: {n}" for r, n in self.kept_reasons.most_common())
            text += f", {self.kept} kept as they are ({why})"
        if self.without_payload:
            text += (
                f"; {plural(self.without_payload, 'post')} of the selection "
                f"{'has' if self.without_payload == 1 else 'have'} no stored payload"
            )
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-able data."""
        return {
            "normalizer_version": self.version,
            "selection": self.selection,
            "dry_run": self.dry_run,
            "workers": self.workers,
            "selected": self.selected,
            "without_payload": self.without_payload,
            "rederived": self.rederived,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "problems": self.problems,
            "fields": {f: self.fields[f] for f in DERIVED_FIELDS if self.fields[f]},
            "kept_reasons": dict(self.kept_reasons.most_common()),
            "problem_reasons": dict(self.problem_reasons.most_common()),
            "changed_posts": self.samples,
            "seconds": round(self.seconds, 3),
        }


# --- which posts --------------------------------------------------------------------------


def version_number(version: str) -> int | None:
    """A normalizer version as the integer it is (versions count up), or None."""
    return int(version) if version.strip().isdigit() else None


def check_since_version(since: str, current: str) -> int:
    """``--since-version`` as an integer from 1 up to the current version, or ValueError."""
    number = version_number(since)
    now = version_number(current)
    if number is None or number < 1:
        raise ValueError(f"{since!r} is not a normalizer version (they count up from 1)")
    if now is not None and number > now:
        raise ValueError(f"version {number} is newer than the current normalizer version {now}")
    return number


def versions_to_rederive(found: Iterable[str], current: str, since: int | None) -> list[str]:
    """The stored normalizer versions to re-derive: by default every one but ``current``;
    with ``since``, version ``since`` and later (the current one included). A version that is
    not a number is always re-derived."""
    out = []
    for v in found:
        n = version_number(v)
        if n is None or (v != current if since is None else n >= since):
            out.append(v)
    return sorted(out)


def describe_selection(current: str, since: int | None, platform: str | None) -> str:
    """The selection in words."""
    which = (
        f"posts not derived by version {current}"
        if since is None
        else f"posts derived by version {since} or later"
    )
    return which + (f" on {platform}" if platform else "")


# --- the work -----------------------------------------------------------------------------


def _chunks(
    engine: Engine, platform: str | None, versions: list[str], size: int
) -> Iterator[list[PayloadRow]]:
    after = 0
    while True:
        rows = store.posts_to_rederive(
            engine, platform=platform, versions=versions, after_id=after, limit=size
        )
        if not rows:
            return
        yield rows
        after = rows[-1].post_id


def reprocess(
    engine: Engine,
    *,
    platform: str | None = None,
    since_version: str | None = None,
    dry_run: bool = False,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    pool_min_posts_per_worker: int = POOL_MIN_POSTS_PER_WORKER,
    on_progress: Callable[[ReprocessReport], None] | None = None,
) -> ReprocessReport:
    """Re-derive the selected posts from their stored payloads; see the module docstring.

    The selection: posts (of ``platform``) whose ``normalizer_version`` is not the current
    one, or with ``since_version`` those derived by that version or later (``1``: every
    post, e.g. after a parser change). Up to ``workers`` processes parse and normalize
    (default: every core; 1 runs in this process), only as many as get
    ``pool_min_posts_per_worker`` posts each; fewer posts run in this process. ``dry_run``
    reads and compares, and writes nothing.
    Raises ValueError for a ``since_version`` that is not a version up to the current one.
    """
    start = perf_counter()
    current = normalize.NORMALIZER_VERSION
    since = None if since_version is None else check_since_version(since_version, current)
    workers = max(1, workers or os.cpu_count() or 1)
    report = ReprocessReport(
        version=current,
        selection=describe_selection(current, since, platform),
        dry_run=dry_run,
        workers=workers,
    )
    versions = versions_to_rederive(
        store.normalizer_versions(engine, platform=platform), current, since
    )
    if versions:
        report.selected, report.without_payload = store.count_rederivable(
            engine, platform=platform, versions=versions
        )

    def apply(derived: list[Rederived]) -> None:
        report.take(derived, store.apply_rederived(engine, derived, dry_run=dry_run))
        if on_progress is not None:
            on_progress(report)

    chunks = _chunks(engine, platform, versions, chunk_size) if versions else iter(())
    todo = report.selected - report.without_payload
    # As many processes as have enough work each (one chunk or less is never worth one).
    report.workers = max(1, min(workers, todo // max(pool_min_posts_per_worker, chunk_size + 1)))
    workers = report.workers
    if workers == 1:
        for rows in chunks:
            apply(derive_chunk(rows))
    else:
        # spawn, not fork: a forked worker would share this process's database connections.
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            pending: deque[Future[list[Rederived]]] = deque()
            for rows in chunks:
                pending.append(pool.submit(derive_chunk, rows))
                if len(pending) >= 2 * workers:
                    apply(pending.popleft().result())
            while pending:
                apply(pending.popleft().result())
    report.seconds = perf_counter() - start
    return report
