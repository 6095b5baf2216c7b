"""Rank runbook entries for an alert: field-weighted BM25 plus heading coverage, with an ops
vocabulary, and abstain when the best match is not convincing.

Headings count most, then symptoms, then the steps; commands a little. The query side splits
camelCase and symbols and adds vocabulary words (OOM → memory, 5xx → error rate, ...). The
score is the share of the alert's own informative words an entry explains (a word and its
vocabulary words counted once), so a threshold means the same for a terse rule name and a long
report: words the runbooks never use (etcd, kafka, ...) count against it, generic words (high,
failed, disk, ...) earn little, and an entry whose heading names a component or a condition the
alert never names is marked down. Abstaining beats a wrong runbook at 3 a.m.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]

from warroom.runbooks.vocabulary import GENERIC, PHRASES, STOPWORDS, SUBJECTS, SYNONYMS

_stemmer = snowballstemmer.stemmer("english")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
_COMPOUND = re.compile(r"[A-Za-z0-9]+(?:[-_.:/][A-Za-z0-9]+)*")
_STATUS_CLASS = re.compile(r"([1-5])[xX]{2}")
_SEVERITY_TAG = re.compile(r"\b(?:P[1-5]|SEV-?[1-5])\b", re.IGNORECASE)
_INSTANCE = re.compile(r"\(\s*instance\s+([^)]*)\)", re.IGNORECASE)
# Values, sizes, durations and versions ("42.0", "4x", "30s", "10k", "v2") say nothing of the topic.
_NUMBERISH = re.compile(r"^(?![1-5]xx$)(?:\d+(?:\.\d+)*[a-z]{0,3}|v\d+)$")
_STATUS_PLURAL = re.compile(r"\b([1-5]\d\d|[1-5]xx)s\b", re.IGNORECASE)
# Status codes and well-known ports (":5432") mean something; other numbers are values or ids.
_KEEP_NUMBERS = frozenset(word for word in SYNONYMS if word.isdigit())
_PHRASE = re.compile(
    r"\b(" + "|".join(re.escape(p) for p in sorted(PHRASES, key=len, reverse=True)) + r")s?\b"
)
_HEADING_NOISE = frozenset({"incid"})
# Label keys (lowercased) an alert's topic is read from, and how much each counts; the rest
# (instance, env, severity, ids) name where it fired, not what happened.
QUERY_LABELS = {
    "alertname": 1.0,
    "metricname": 1.0,
    "metric": 1.0,
    "eventname": 0.7,
    "eventtypecode": 0.7,
    "detail-type": 0.7,
    "resourcetype": 0.5,
    "dependency": 0.5,
    "service": 0.3,
    "app": 0.3,
    "component": 0.3,
    "job": 0.3,
}
QUERY_ANNOTATIONS = ("summary", "description", "message")

# (stem, weight, surface word, kind): kind is WORD, SYNONYM (added by the vocabulary) or PART
# (a word of a phrase the vocabulary translates, so not unknown even if no runbook uses it).
Term = tuple[str, float, str, str]
Channel = tuple[dict[str, float], dict[str, set[str]]]
Surfaces = dict[str, set[str]]
WORD, SYNONYM, PART = "word", "synonym", "part"


@dataclass(frozen=True)
class Tuning:
    """The matcher's knobs, chosen by measurement with bench/runbook_match.py."""

    heading: float = 6.0
    parent: float = 0.0
    symptoms: float = 3.0
    steps: float = 0.5
    commands: float = 0.3
    synonym: float = 0.7
    description: float = 0.3
    instance: float = 0.2
    unknown: float = 0.5
    generic: float = 0.4
    coverage: float = 0.5
    topic: float = 0.7
    off_subject: float = 0.5
    off_condition: float = 0.7
    pairs: float = 0.5
    k1: float = 2.0
    b: float = 0.75
    threshold: float = 0.28


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem the matcher indexes ``word`` under."""
    return str(_stemmer.stemWord(word))


_GENERIC_STEMS = frozenset(stem(word) for word in GENERIC)
_SUBJECT_STEMS = frozenset(stem(word) for word in SUBJECTS)


def _surface_words(text: str) -> list[tuple[str, str]]:
    """The words of ``text``, each a WORD or a PART: the words of a phrase ("error budget")
    stay, followed by the phrase's own token, but only that token expands."""
    text = _STATUS_PLURAL.sub(r"\1", _SEVERITY_TAG.sub(" ", text))
    text = _STATUS_CLASS.sub(lambda m: f" {m.group(1)}xx ", text)
    lowered = _CAMEL.sub(" ", text.replace("_", " ")).lower()
    found: list[tuple[str, str]] = []
    start = 0
    for phrase in _PHRASE.finditer(lowered):
        found += [(word, WORD) for word in _WORD.findall(lowered[start : phrase.start()])]
        found += [(word, PART) for word in _WORD.findall(phrase.group(0))]
        found += [(word, WORD) for word in PHRASES[phrase.group(1)].split()]
        start = phrase.end()
    found += [(word, WORD) for word in _WORD.findall(lowered[start:])]
    return [
        (word, kind)
        for word, kind in found
        if len(word) > 1
        and word not in STOPWORDS
        and (not _NUMBERISH.match(word) or word in _KEEP_NUMBERS)
    ]


def _glued(text: str) -> set[str]:
    """Identifiers lowercased whole, for the vocabulary: ``CrashLoopBackOff`` → crashloopbackoff,
    each part of ``orders-ApproximateAgeOfOldestMessage``, and neighbouring words glued
    (``Too Many Requests`` → toomany, manyrequests)."""
    found = set()
    for token in _COMPOUND.findall(text):
        pieces = [_CAMEL.sub(" ", piece).split() for piece in re.split(r"[-_.:/]", token)]
        words = [word for piece in pieces for word in piece]
        if len(words) > 1:
            found.add("".join(words).lower())
        found.update("".join(piece).lower() for piece in pieces if len(piece) > 1)
        found.update((a + b).lower() for a, b in itertools.pairwise(words) if a.isalpha())
    return {word for word in found if len(word) > 3}


def weighted_terms(text: str, weight: float = 1.0, pairs: float = 0.0) -> list[Term]:
    """Terms for every word and its vocabulary words, and with ``pairs`` > 0 for every two
    neighbouring words ("memory usage") as one term."""
    surface = _surface_words(text)
    words = [word for word, _ in surface]
    stems = [stem(word) for word in words]
    found: list[Term] = [
        (s, weight, word, kind) for s, (word, kind) in zip(stems, surface, strict=True)
    ]
    if pairs:
        found += [
            (f"{a}_{b}", weight * pairs, f"{x} {y}", WORD)
            for a, b, x, y in zip(stems, stems[1:], words, words[1:], strict=False)
            if a != b
        ]
    for word in {*(word for word, kind in surface if kind == WORD), *_glued(text)}:
        found += [(stem(extra), weight, word, SYNONYM) for extra in SYNONYMS.get(word, "").split()]
    return found


@dataclass
class Candidate:
    """A runbook entry as the matcher sees it."""

    section_id: str
    file: str
    heading: str
    line: int
    terms: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    heading_terms: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    conditions: set[str] = field(default_factory=set)
    length: float = 0.0


@dataclass(frozen=True)
class Match:
    """A ranked suggestion with its score in [0, 1] and why."""

    section_id: str
    file: str
    heading: str
    line: int
    score: float
    reason: str


def _label_weight(key: str, value: str) -> float:
    """How much a label counts: CloudWatch namespaces ("AWS/Lambda") name the service, while
    a Kubernetes namespace ("production") does not."""
    name = key.lower()
    if name == "namespace":
        return 0.5 if "/" in value else 0.0
    return QUERY_LABELS.get(name, 0.0)


@dataclass(frozen=True)
class AlertQuery:
    """What the matcher reads from an alert or an incident."""

    title: str = ""
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    service: str | None = None
    tags: Sequence[str] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertQuery:
        """From ``{"title", "description", "labels", "service", "tags"}``; unknown keys ignored."""
        labels = data.get("labels") or {}
        return cls(
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
            service=str(data["service"]) if data.get("service") else None,
            tags=[str(t) for t in data.get("tags") or []],
        )

    def channels(self, tuning: Tuning) -> tuple[list[Term], list[Term]]:
        """Weighted query terms: what the alert is about (title, rule and metric names), and
        its context (description, annotations, service, hosts, tags)."""
        topic = weighted_terms(_INSTANCE.sub(" ", self.title), 1.0, tuning.pairs)
        context = weighted_terms(" ".join(_INSTANCE.findall(self.title)), tuning.instance)
        for key, value in self.labels.items():
            weight = _label_weight(key, value)
            if weight and value:
                into = topic if weight >= 0.7 else context
                into += weighted_terms(value, weight, tuning.pairs)
        for key in QUERY_ANNOTATIONS:
            if self.labels.get(key):
                context += weighted_terms(self.labels[key], tuning.description, tuning.pairs)
        context += weighted_terms(self.description, tuning.description, tuning.pairs)
        if self.service:
            context += weighted_terms(self.service, 0.3)
        for tag in self.tags:
            context += weighted_terms(tag, 0.5)
        return topic, context


def _step_text(steps: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    texts, commands = [], []
    for step in steps:
        texts.append(str(step.get("text", "")))
        commands += [str(c) for c in step.get("commands", [])]
    return " ".join(texts), " ".join(commands)


def candidate(
    *,
    section_id: str,
    file: str,
    heading: str,
    line: int,
    path: Sequence[str],
    fields: Mapping[str, Sequence[Mapping[str, Any]]],
    tuning: Tuning = Tuning(),
) -> Candidate:
    """Build the weighted bag of terms for one runbook entry."""
    entry = Candidate(section_id=section_id, file=file, heading=heading, line=line)
    parts: list[tuple[str, float]] = [(heading, tuning.heading)]
    parts += [(p, tuning.parent) for p in path[1:-1]]
    for name, steps in fields.items():
        text, commands = _step_text(steps)
        parts.append((text, tuning.symptoms if name == "symptoms" else tuning.steps))
        parts.append((commands, tuning.commands))
    for text, weight in parts:
        if not weight:
            continue
        for term, term_weight, _, kind in weighted_terms(text, weight, tuning.pairs):
            entry.terms[term] += term_weight * (tuning.synonym if kind == SYNONYM else 1.0)
    entry.heading_terms = {t for t, _, _, kind in weighted_terms(heading) if kind != SYNONYM}
    entry.heading_terms -= _HEADING_NOISE
    entry.subjects = entry.heading_terms & _SUBJECT_STEMS
    entry.conditions = entry.heading_terms - entry.subjects - _GENERIC_STEMS
    entry.length = sum(entry.terms.values())
    return entry


class Matcher:
    """Scores runbook entries for alerts; see the module docstring."""

    def __init__(self, candidates: Sequence[Candidate], *, tuning: Tuning = Tuning()) -> None:
        self.candidates = list(candidates)
        self.tuning = tuning
        self.threshold = tuning.threshold
        count = len(self.candidates) or 1
        self.average_length = sum(c.length for c in self.candidates) / count or 1.0
        document_frequency: dict[str, int] = defaultdict(int)
        for entry in self.candidates:
            for term in entry.terms:
                document_frequency[term] += 1
        self.idf = {
            term: math.log(1 + (count - n + 0.5) / (n + 0.5))
            for term, n in document_frequency.items()
        }
        self.max_idf = math.log(1 + (count + 0.5) / 0.5)
        # term → [(entry index, saturated frequency)]: BM25's tf part, computed once.
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, entry in enumerate(self.candidates):
            norm = tuning.k1 * (1 - tuning.b + tuning.b * entry.length / self.average_length)
            for term, frequency in entry.terms.items():
                if frequency:
                    self.postings[term].append((index, frequency / (frequency + norm)))
        generic = tuning.generic
        self.heading_mass = [
            {
                t: self.idf.get(t, 0.0) * (generic if t in _GENERIC_STEMS else 1.0)
                for t in entry.heading_terms
            }
            for entry in self.candidates
        ]

    def _weights(self, terms: list[Term]) -> tuple[dict[str, float], float]:
        """Each term's weight (the highest it has), and the weight of words no entry uses."""
        weights: dict[str, float] = defaultdict(float)
        for term, weight, surface, kind in terms:
            # A vocabulary word counts fully when the alert's own word is unknown to the
            # runbooks (a translation, e.g. "crawling" → slow), partly when both are known.
            if kind == SYNONYM and stem(surface) in self.idf:
                weight *= self.tuning.synonym
            weights[term] = max(weights[term], weight)
        translated = {stem(surface) for _, _, surface, kind in terms if kind != WORD}
        unknown = sum(
            w
            for t, w in weights.items()
            if t not in self.idf and len(t) > 2 and t not in translated and "_" not in t
        )
        return weights, unknown

    def _coverage(self, index: int, weights: Mapping[str, float]) -> float:
        """How much of the entry's heading the alert names (a word in the title counts more
        than one in the description), its specific words counting most."""
        mass = self.heading_mass[index]
        total = sum(mass.values())
        named = sum(m * min(1.0, weights.get(t, 0.0)) for t, m in mass.items())
        return named / total if total else 0.0

    def _credits(self, query: AlertQuery) -> tuple[list[Channel], dict[str, float], Surfaces]:
        """Per channel (topic, context): its share, and what each known word earns when an
        entry has it as a fraction of the channel's ceiling, grouped by the alert's word it
        comes from (a word and its vocabulary words count once); plus weights and surfaces."""
        tuning = self.tuning
        channels = []
        weights: dict[str, float] = defaultdict(float)
        surfaces: Surfaces = defaultdict(set)
        shares = (tuning.topic, 1 - tuning.topic)
        for share, terms in zip(shares, query.channels(tuning), strict=True):
            concepts: dict[str, set[str]] = defaultdict(set)
            for term, _, surface, kind in terms:
                surfaces[term].add(surface)
                if term in self.idf:
                    concepts[stem(surface) if kind == SYNONYM else term].add(term)
            channel, unknown = self._weights(terms)
            for term, weight in channel.items():
                weights[term] = max(weights[term], weight)
            known = {t: w * self.idf[t] for t, w in channel.items() if t in self.idf}
            ceiling = sum(max(known[t] for t in group) for group in concepts.values())
            ceiling += tuning.unknown * unknown * self.max_idf
            if known:
                # Generic words fill the ceiling in full but earn only part of it when matched.
                credit = {
                    t: share * w * (tuning.generic if t in _GENERIC_STEMS else 1.0) / ceiling
                    for t, w in known.items()
                }
                channels.append((credit, concepts))
        return channels, weights, surfaces

    def _gains(
        self, channels: list[Channel]
    ) -> tuple[dict[int, dict[str, float]], dict[int, float]]:
        """Per entry: what each matched word earned (for the reason), and the lexical score:
        per channel and alert word, the best of the word and its vocabulary words."""
        gains: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        best: dict[int, dict[tuple[int, str], float]] = defaultdict(lambda: defaultdict(float))
        for number, (credit, concepts) in enumerate(channels):
            for concept, group in concepts.items():
                for term in group:
                    for index, saturation in self.postings.get(term, ()):
                        gain = credit[term] * saturation
                        gains[index][term] += gain
                        best[index][number, concept] = max(best[index][number, concept], gain)
        return gains, {index: sum(found.values()) for index, found in best.items()}

    def _score(self, index: int, lexical: float, weights: Mapping[str, float]) -> float:
        """The lexical score scaled by heading coverage and the subject/condition checks."""
        tuning = self.tuning
        entry = self.candidates[index]
        coverage = self._coverage(index, weights)
        score = lexical * (1 - tuning.coverage + tuning.coverage * coverage)
        # An entry names a component (RDS) and a condition (CPU): an alert that names
        # neither of one kind is about something else, however many words it shares.
        if entry.subjects and not any(weights.get(t) for t in entry.subjects):
            score *= tuning.off_subject
        if entry.conditions and not any(weights.get(t) for t in entry.conditions):
            score *= tuning.off_condition
        # The square root spreads the low range where the abstain decision is made.
        return math.sqrt(score)

    def match(self, query: AlertQuery, limit: int = 5) -> list[Match]:
        """Suggestions, best first, at most ``limit``; empty when nothing fits well enough."""
        channels, weights, surfaces = self._credits(query)
        if not channels:
            return []
        gains, lexical = self._gains(channels)
        scored = [
            (
                self._score(index, lexical[index], weights),
                self.candidates[index],
                [(g, t) for t, g in entry_gains.items()],
            )
            for index, entry_gains in gains.items()
        ]
        scored.sort(key=lambda item: (-item[0], item[1].file, item[1].line))
        matches = []
        for score, entry, contributions in scored[:limit]:
            if score < self.threshold:
                break
            words: list[str] = []
            for _, term in sorted(contributions, reverse=True):
                if "_" not in term:
                    words += sorted(surfaces[term] - set(words))
            matches.append(
                Match(
                    section_id=entry.section_id,
                    file=entry.file,
                    heading=entry.heading,
                    line=entry.line,
                    score=round(min(score, 1.0), 3),
                    reason="matched: " + ", ".join(words[:6]),
                )
            )
        return matches
