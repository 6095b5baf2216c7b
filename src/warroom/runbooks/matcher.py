"""Rank runbook entries for an alert: field-weighted BM25 plus heading coverage, with an ops
vocabulary, and abstain when the best match is not convincing.

Headings count most, then symptoms, then the steps; commands a little. The query side splits
camelCase and symbols and adds vocabulary words (OOM → memory, 5xx → error rate, ...). Words
the runbooks never use (etcd, kafka, ...) lower the confidence. A match below the threshold is
not suggested: abstaining beats a wrong runbook at 3 a.m.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]

from warroom.runbooks.vocabulary import PHRASES, STOPWORDS, SYNONYMS

_stemmer = snowballstemmer.stemmer("english")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
_IDENTIFIER = re.compile(r"[A-Za-z0-9]+")
_STATUS_CLASS = re.compile(r"([1-5])[xX]{2}")
_SEVERITY_TAG = re.compile(r"\b(?:P[1-5]|SEV-?[1-5])\b", re.IGNORECASE)
_NUMBERISH = re.compile(r"^\d+(\.\d+)*$")
_KEEP_NUMBERS = frozenset({"401", "403", "429", "500", "502", "503", "504"})
_PHRASES = [
    (re.compile(rf"\b{re.escape(phrase)}s?\b"), joined)
    for phrase, joined in sorted(PHRASES.items(), key=lambda item: -len(item[0]))
]
_HEADING_NOISE = frozenset({"incid"})
QUERY_LABELS = {"alertname": 1.0, "service": 0.5, "app": 0.5, "component": 0.5, "job": 0.3}
QUERY_ANNOTATIONS = ("summary", "description", "message")

Term = tuple[str, float, str, bool]


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
    unknown: float = 0.5
    coverage: float = 0.2
    k1: float = 2.0
    b: float = 0.75
    threshold: float = 0.2


def stem(word: str) -> str:
    """The stem the matcher indexes ``word`` under."""
    return str(_stemmer.stemWord(word))


def _surface_words(text: str) -> list[str]:
    text = _STATUS_CLASS.sub(lambda m: f" {m.group(1)}xx ", _SEVERITY_TAG.sub(" ", text))
    lowered = _CAMEL.sub(" ", text.replace("_", " ")).lower()
    for pattern, joined in _PHRASES:
        lowered = pattern.sub(joined, lowered)
    return [
        word
        for word in _WORD.findall(lowered)
        if word not in STOPWORDS and (not _NUMBERISH.match(word) or word in _KEEP_NUMBERS)
    ]


def _glued(text: str) -> set[str]:
    """Identifiers lowercased whole (``CrashLoopBackOff`` → crashloopbackoff, also with their
    dashes and underscores dropped) for the vocabulary."""
    parts = _IDENTIFIER.findall(text) + _WORD.findall(
        text.lower().replace("-", "").replace("_", "")
    )
    return {part.lower() for part in parts if len(part) > 3}


def weighted_terms(text: str, weight: float = 1.0) -> list[Term]:
    """(stem, weight, surface word, from vocabulary?) for every word and its vocabulary words."""
    words = _surface_words(text)
    found: list[Term] = [(stem(word), weight, word, False) for word in words]
    for word in {*words, *_glued(text)}:
        found += [(stem(extra), weight, word, True) for extra in SYNONYMS.get(word, "").split()]
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

    def terms(self, description_weight: float = 0.6) -> list[Term]:
        """Weighted query terms from title, labels, annotations, description and tags."""
        found = weighted_terms(self.title, 1.0)
        for key, weight in QUERY_LABELS.items():
            if self.labels.get(key):
                found += weighted_terms(self.labels[key], weight)
        for key in QUERY_ANNOTATIONS:
            if self.labels.get(key):
                found += weighted_terms(self.labels[key], description_weight)
        found += weighted_terms(self.description, description_weight)
        if self.service:
            found += weighted_terms(self.service, 0.5)
        for tag in self.tags:
            found += weighted_terms(tag, 0.5)
        return found


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
        for term, term_weight, _, synonym in weighted_terms(text, weight):
            entry.terms[term] += term_weight * (tuning.synonym if synonym else 1.0)
    entry.heading_terms = {t for t, _, _, synonym in weighted_terms(heading) if not synonym}
    entry.heading_terms -= _HEADING_NOISE
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

    def _query_weights(
        self, query: AlertQuery
    ) -> tuple[dict[str, float], dict[str, set[str]], float]:
        weights: dict[str, float] = defaultdict(float)
        surfaces: dict[str, set[str]] = defaultdict(set)
        terms = query.terms(self.tuning.description)
        for term, weight, surface, synonym in terms:
            # A vocabulary word counts fully when the alert's own word is unknown to the
            # runbooks (a translation, e.g. "crawling" → slow), partly when both are known.
            if synonym and stem(surface) in self.idf:
                weight *= self.tuning.synonym
            weights[term] = max(weights[term], weight)
            surfaces[term].add(surface)
        translated = {stem(surface) for _, _, surface, synonym in terms if synonym}
        unknown = sum(
            w
            for t, w in weights.items()
            if t not in self.idf and len(t) > 2 and t not in translated
        )
        return weights, surfaces, unknown

    def match(self, query: AlertQuery, limit: int = 5) -> list[Match]:
        """Suggestions, best first, at most ``limit``; empty when nothing fits well enough."""
        tuning = self.tuning
        weights, surfaces, unknown = self._query_weights(query)
        known = {t: w for t, w in weights.items() if t in self.idf}
        if not known:
            return []
        ceiling = sum(w * self.idf[t] * (tuning.k1 + 1) for t, w in known.items())
        ceiling += tuning.unknown * unknown * self.max_idf * (tuning.k1 + 1)
        scored: list[tuple[float, Candidate, list[tuple[float, str]]]] = []
        for entry in self.candidates:
            norm = tuning.k1 * (1 - tuning.b + tuning.b * entry.length / self.average_length)
            contributions = []
            for term, weight in known.items():
                frequency = entry.terms.get(term, 0.0)
                if frequency:
                    gain = weight * self.idf[term] * frequency * (tuning.k1 + 1)
                    contributions.append((gain / (frequency + norm), term))
            if not contributions:
                continue
            lexical = sum(g for g, _ in contributions) / ceiling
            heading_mass = sum(self.idf.get(t, 0.0) for t in entry.heading_terms) or 1.0
            covered = sum(self.idf.get(t, 0.0) for t in entry.heading_terms if t in known)
            score = (1 - tuning.coverage) * lexical + tuning.coverage * covered / heading_mass
            scored.append((score, entry, contributions))
        scored.sort(key=lambda item: (-item[0], item[1].file, item[1].line))
        matches = []
        for score, entry, contributions in scored[:limit]:
            if score < self.threshold:
                break
            words: list[str] = []
            for _, term in sorted(contributions, reverse=True):
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
