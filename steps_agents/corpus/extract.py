"""From corpus records to skill sets: extractor options, auto-detection, streaming iteration.

Extractors are plugins (hook ``register_skill_extractors``). A registered *factory* is called as
``factory(options)`` with :class:`ExtractorOptions` and returns an object with
``extract_batch(records) -> list[list[str]]`` (one skill list per record, same order). A factory
may also define:

- ``claims(record) -> bool``: "this record has my shape", used by ``--extractor auto``;
- ``available(options) -> bool``: whether it can run with these options at all (the ``lexicon``
  extractor needs ``--lexicon``, ``llm`` needs ``--model``); auto skips factories that say no;
- ``auto_priority: int`` (default 100): auto asks claimers in ascending priority, ties in
  registration order. Built-ins: ``tags`` 10, ``tool_calls`` 20, the trace formats 21-25
  (``anthropic``, ``sharegpt``, ``xlam``, ``otel``, ``mcp``), ``lexicon`` 30, ``llm`` 40.
  A plugin that wants to be asked before the built-ins uses a smaller number.

Auto-detection is per record, so a corpus mixing pre-tagged records and trajectories works.

Empty skill sets: a record for which the chosen extractor finds no skill is an error naming
``file:line`` (in auto mode too: the record's shape chose the extractor, so an empty result
usually means a broken record or a vocabulary that misses it). ``skip_empty=True``
(``--skip-empty``) drops such records instead and counts them in :class:`ExtractionStats`.

Skill names are normalised (:func:`normalise_skill`) after extraction, whichever extractor ran:
Unicode NFKC, trimmed, inner whitespace collapsed, and otherwise kept exactly as spelled. A tool
name is an identifier (``getUserById`` and ``getuserbyid`` are two tools), so case is kept by
default. ``casefold=true`` in ``ExtractorOptions.extra`` (``--extractor-opt casefold=true``) also
case-folds every name, for free-text tags written by hand (``"Code Generation"`` and ``"code
generation"`` become one skill). The ``llm`` extractor folds its own answers by default (see
:mod:`steps_agents.plugins.llm_extractor`).
"""

from __future__ import annotations

import functools
import inspect
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy
from pydantic import BaseModel, ConfigDict, Field

from steps_agents.corpus.sources import open_corpus
from steps_agents.errors import InputError, StepsError, UnknownComponentError
from steps_agents.fileformats import INVISIBLE
from steps_agents.runtime.executor import default_executor
from steps_agents.runtime.progress import Progress

AUTO = "auto"
DEFAULT_AUTO_PRIORITY = 100


MAX_SKILLS_PER_RECORD = 1000
"""Most distinct skills one record may carry (``ExtractorOptions.max_skills_per_record``): a
record's pairs grow as ``k (k - 1) / 2``, so one record of 10^4 skills would add 5 * 10^7 pairs
and exhaust memory; a longer record is refused at its ``file:line`` (docs/reliability.md)."""


class ExtractorOptions(BaseModel):
    """What every extractor factory receives. ``extra`` carries plugin-specific settings."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    lexicon: Path | None = None
    model: str | None = None
    batch_size: int = Field(default=32, ge=1)
    cache_path: Path | None = None
    max_skills_per_record: int = Field(default=MAX_SKILLS_PER_RECORD, ge=2)
    extra: dict[str, Any] = Field(default_factory=dict)


class RecordError(InputError):
    """Raised by an extractor for the ``index``-th record of a batch; the host adds file:line."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


@dataclass
class ExtractionStats:
    """Counters filled while iterating: records read, kept, skipped empty, per extractor used."""

    records: int = 0
    kept: int = 0
    skipped_empty: int = 0
    by_extractor: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Skill names and record text
# ---------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 16)  # skill vocabularies are small; records repeat names
def normalise_skill(name: str, casefold: bool = False) -> str:
    """Canonical skill name: Unicode NFKC, trimmed, inner whitespace collapsed; case-folded only
    with ``casefold``.

    ``" get  Weather"`` becomes ``"get Weather"``; ``fillFuelTank`` stays ``fillFuelTank`` (a tool
    name is an identifier, and ``fillFuelTank`` / ``fillfueltank`` are kept apart). With
    ``casefold=True``, ``" Code  Generation"`` and ``"code generation"`` are one skill. NFKC
    changes no ASCII identifier; it maps compatibility forms (full-width ``ＳＱＬ`` -> ``SQL``).
    Control, zero-width and bidirectional-override characters (``fileformats.INVISIBLE``) are
    removed, so ``"sq\u200bl"`` or an ANSI escape cannot make an invisible distinct skill or
    rewrite the terminal: ``"s\u202eql"`` is ``"sql"`` (``docs/reliability.md``).
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", name))
    text = INVISIBLE.sub("", text).strip()
    return text.casefold() if casefold else text


def normalise_skills(names: Iterable[str], casefold: bool = False) -> list[str]:
    """Normalise (:func:`normalise_skill`), drop empties and duplicates, keep first-seen order."""
    out: dict[str, None] = {}
    for name in names:
        norm = normalise_skill(name, casefold)
        if norm:
            out.setdefault(norm, None)
    return list(out)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def flag_option(options: ExtractorOptions, key: str, default: bool) -> bool:
    """A yes/no extractor option from ``options.extra`` (a JSON boolean, or ``true``/``false``,
    ``yes``/``no``, ``on``/``off``, ``1``/``0`` as text); ``default`` when it is absent."""
    value = options.extra.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise InputError(
        f"extractor option {key} must be true or false, got {value!r}", location="--extractor-opt"
    )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts: [{"type": "text", "text": ...}, ...]
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def record_text(record: Mapping[str, Any]) -> str:
    """The user-facing text of a record, used by text extractors and seed examples.

    In order: ``instruction`` (plus ``input`` when present, Alpaca style), else ``prompt``, else
    ``question``, else ``query`` (xLAM/APIGen), else the user turns of ``messages`` (OpenAI chat) joined by blank lines, else the
    human turns of ``conversations`` (ShareGPT). Returns ``""`` when there is none.
    """
    for key in ("instruction", "prompt", "question", "query"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            extra = record.get("input") if key == "instruction" else None
            if isinstance(extra, str) and extra.strip():
                return f"{value}\n\n{extra}"
            return value
    turns: list[str] = []
    messages = record.get("messages")
    if isinstance(messages, list):
        turns = [
            _content_text(m.get("content"))
            for m in messages
            if isinstance(m, dict) and m.get("role") == "user"
        ]
    else:
        conversations = record.get("conversations")
        if isinstance(conversations, list):
            turns = [
                str(m.get("value", ""))
                for m in conversations
                if isinstance(m, dict) and m.get("from") in {"human", "user"}
            ]
    return "\n\n".join(t for t in turns if t.strip())


# ---------------------------------------------------------------------------------------------
# Choosing extractors
# ---------------------------------------------------------------------------------------------


def _positional_arity(fn: Callable[..., Any]) -> int | None:
    """How many positional arguments ``fn`` takes (``None``: any number)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _adapt(fn: Callable[..., Any], n_args: int) -> Callable[..., Any]:
    """Call ``fn`` with as many leading arguments as it accepts (``claims`` may skip ``options``).

    The signature is inspected once here, not per record: auto-detection runs on every record.
    """
    arity = _positional_arity(fn)
    if arity is None or arity >= n_args:
        return fn
    return lambda *args: fn(*args[:arity])


class ExtractorChooser:
    """Holds the extractor instances for one run and picks one per record.

    ``name`` is a registered extractor or ``"auto"``. Instances are created lazily (auto mode
    only builds the extractors that some record actually needs).
    """

    def __init__(
        self, name: str, options: ExtractorOptions, pm: pluggy.PluginManager | None = None
    ) -> None:
        from steps_agents.registry import collect

        self.name, self.options = name, options
        self.casefold = flag_option(options, "casefold", False)
        registry = collect("extractor", pm)
        self.available_names = [AUTO, *registry]
        self._instances: dict[str, Any] = {}
        self._factories = {key: reg.obj for key, reg in registry.items()}
        self._claimers: list[tuple[str, Any]] = []
        if name != AUTO:
            if name not in self._factories:
                raise UnknownComponentError("extractor", name, list(self.available_names))
            self.instance(name)  # build now so a missing option fails before any reading
            return
        ranked = []
        for order, (key, factory) in enumerate(self._factories.items()):
            claims = getattr(factory, "claims", None)
            if claims is None:
                continue
            available = getattr(factory, "available", None)
            if available is not None:
                if not _adapt(available, 1)(options):
                    continue
                # The user gave this extractor its options (a lexicon, a model): build it now
                # so a bad file or model spec fails before any reading, not at the first
                # free-text record.
                self.instance(key)
            priority = int(getattr(factory, "auto_priority", DEFAULT_AUTO_PRIORITY))
            ranked.append((priority, order, key, _adapt(claims, 2)))
        self._claimers = [(key, claims) for _, _, key, claims in sorted(ranked)]

    def instance(self, name: str) -> Any:
        if name not in self._instances:
            extractor = self._factories[name](self.options)
            if not callable(getattr(extractor, "extract_batch", None)):
                raise StepsError(f"extractor {name!r} has no extract_batch(records) method")
            self._instances[name] = extractor
        return self._instances[name]

    def choose(self, record: Mapping[str, Any], location: str) -> str:
        if self.name != AUTO:
            return self.name
        for key, claims in self._claimers:
            if claims(record, self.options):
                return key
        keys = ", ".join(sorted(map(str, record))) or "none"
        raise InputError(
            f"no extractor recognises this record (keys: {keys}); expected 'skills',"
            " 'label.ability', a tool-call trace (OpenAI or Anthropic 'messages', ShareGPT"
            " 'conversations', xLAM 'answers', OpenTelemetry spans, MCP JSON-RPC 'messages'),"
            " or free text with --lexicon FILE or --model SPEC",
            location=location,
        )

    def extract(
        self, batch: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[tuple[str, Mapping[str, Any], str, list[str]]]:
        """Skills for a batch of ``(location, record)``: ``(location, record, extractor, skills)``."""
        groups: dict[str, list[int]] = {}
        for i, (location, record) in enumerate(batch):
            groups.setdefault(self.choose(record, location), []).append(i)
        found: list[list[str]] = [[] for _ in batch]
        chosen: list[str] = [""] * len(batch)
        for key, indices in groups.items():
            records = [batch[i][1] for i in indices]
            try:
                results = self.instance(key).extract_batch(records)
            except RecordError as exc:
                where = batch[indices[exc.index]][0] if 0 <= exc.index < len(indices) else None
                raise InputError(exc.detail, location=where or batch[indices[0]][0]) from None
            except InputError as exc:
                if exc.location is None:
                    raise InputError(exc.detail, location=batch[indices[0]][0]) from None
                raise
            if len(results) != len(records):
                raise StepsError(
                    f"extractor {key!r} returned {len(results)} results for {len(records)} records"
                )
            cap = self.options.max_skills_per_record
            for i, skills in zip(indices, results, strict=True):
                found[i] = normalise_skills(skills, self.casefold)
                chosen[i] = key
                if len(found[i]) > cap:
                    raise InputError(
                        f"{len(found[i])} skills in one record, more than the limit of {cap}"
                        " (its pairs grow with the square); split the record or raise"
                        " max_skills_per_record",
                        location=batch[i][0],
                    )
        return [(loc, rec, chosen[i], found[i]) for i, (loc, rec) in enumerate(batch)]


# ---------------------------------------------------------------------------------------------
# Streaming iteration
# ---------------------------------------------------------------------------------------------


def _chunks(
    items: Iterable[tuple[str, Mapping[str, Any]]], size: int
) -> Iterator[list[tuple[str, Mapping[str, Any]]]]:
    batch: list[tuple[str, Mapping[str, Any]]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def iter_skill_sets(
    source: str,
    extractor: str = AUTO,
    options: ExtractorOptions | None = None,
    pm: pluggy.PluginManager | None = None,
    *,
    skip_empty: bool = False,
    stats: ExtractionStats | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[str, Mapping[str, Any], list[str]]]:
    """Stream ``(location, record, skills)`` over a corpus, extracting in batches.

    The extractor name and its options are checked before the corpus is opened, and the corpus
    is opened (so a missing file fails) before the first item is requested. Records are read
    lazily and handed to extractors ``options.batch_size`` at a time through the executor seam;
    only one batch is in memory at once. ``progress`` is advanced once per record read.
    """
    options = options or ExtractorOptions()
    chooser = ExtractorChooser(extractor, options, pm)
    records = open_corpus(source, pm=pm)
    return _iterate(chooser, records, options, skip_empty, stats, progress)


def _iterate(
    chooser: ExtractorChooser,
    records: Iterable[tuple[str, Mapping[str, Any]]],
    options: ExtractorOptions,
    skip_empty: bool,
    stats: ExtractionStats | None,
    progress: Progress | None,
) -> Iterator[tuple[str, Mapping[str, Any], list[str]]]:
    stats = stats if stats is not None else ExtractionStats()
    for batch in default_executor().map(chooser.extract, _chunks(records, options.batch_size)):
        for location, record, name, skills in batch:
            stats.records += 1
            if progress is not None:
                progress.update(1)
            if not skills:
                if skip_empty:
                    stats.skipped_empty += 1
                    continue
                raise InputError(
                    f"no skills found by the {name!r} extractor; fix the record, or drop such"
                    " records (--skip-empty of steps taxonomy build/stats; skip_empty=True in"
                    " Python)",
                    location=location,
                )
            stats.kept += 1
            stats.by_extractor[name] = stats.by_extractor.get(name, 0) + 1
            yield location, record, skills
