"""Rank runbook incident entries for an alert with field-weighted BM25 and an ops vocabulary.

Headings count most, then symptoms, then the steps; commands a little. The query side splits
camelCase and symbols and adds vocabulary words (OOM → memory, 5xx → error rate, ...). A match
below the confidence threshold is not suggested: abstaining beats a wrong runbook at 3 a.m.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]

from warroom.runbooks.vocabulary import PHRASES, STOPWORDS, SYNONYMS

_stemmer = snowballstemmer.stemmer("english")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
_NUMBERISH = re.compile(r"^\d+(\.\d+)*$")
_KEEP_NUMBERS = frozenset({"401", "403", "429", "500", "502", "503", "504"})

HEADING_WEIGHT = 3.0
PARENT_WEIGHT = 1.0
SYMPTOM_WEIGHT = 2.0
STEP_WEIGHT = 1.0
COMMAND_WEIGHT = 0.3
SYNONYM_WEIGHT = 0.5
DEFAULT_THRESHOLD = 0.3
QUERY_LABELS = {"alertname": 1.0, "service": 0.5, "app": 0.5, "component": 0.5, "job": 0.3}
QUERY_ANNOTATIONS = ("summary", "description", "message")


def _surface_words(text: str) -> list[str]:
    spaced = _CAMEL.sub(" ", text.replace("_", " "))
    lowered = spaced.lower()
    for phrase, joined in PHRASES.items():
        lowered = lowered.replace(phrase, joined)
    words = []
    for word in _WORD.findall(lowered):
        if word in STOPWORDS or (_NUMBERISH.match(word) and word not in _KEEP_NUMBERS):
            continue
        words.append(word)
    return words


def _glued(text: str) -> list[str]:
    """Whole identifiers lowercased (``CrashLoopBackOff`` → crashloopbackoff) for the vocabulary."""
    return [w for w in _WORD.findall(text.lower().replace("-", "").replace("_", "")) if len(w) > 3]


def weighted_terms(text: str, weight: float = 1.0) -> list[tuple[str, float, str]]:
    """(stem, weight, surface word) for every word, plus vocabulary words at a lower weight."""
    found: list[tuple[str, float, str]] = []
    words = _surface_words(text)
    for word in words:
        found.append((_stemmer.stemWord(word), weight, word))
    for word in {*words, *_glued(text)}:
        for extra in SYNONYMS.get(word, "").split():
            found.append((_stemmer.stemWord(extra), weight * SYNONYM_WEIGHT, word))
    return found


@dataclass
class Candidate:
    """A runbook entry as the matcher sees it."""

    section_id: str
    file: str
    heading: str
    line: int
    terms: dict[str, float] = field(default_factory=lambda: defaultdict(float))
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

    def terms(self) -> list[tuple[str, float, str]]:
        """Weighted query terms from title, labels, annotations, description and tags."""
        found = weighted_terms(self.title, 1.0)
        for key, weight in QUERY_LABELS.items():
            if self.labels.get(key):
                found += weighted_terms(self.labels[key], weight)
        for key in QUERY_ANNOTATIONS:
            if self.labels.get(key):
                found += weighted_terms(self.labels[key], 0.6)
        found += weighted_terms(self.description, 0.6)
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
) -> Candidate:
    """Build the weighted bag of terms for one runbook entry."""
    entry = Candidate(section_id=section_id, file=file, heading=heading, line=line)
    parts: list[tuple[str, float]] = [(heading, HEADING_WEIGHT)]
    parts += [(p, PARENT_WEIGHT) for p in path[1:-1]]
    for name, steps in fields.items():
        text, commands = _step_text(steps)
        parts.append((text, SYMPTOM_WEIGHT if name == "symptoms" else STEP_WEIGHT))
        parts.append((commands, COMMAND_WEIGHT))
    for text, weight in parts:
        for stem, term_weight, _ in weighted_terms(text, weight):
            entry.terms[stem] += term_weight
    entry.length = sum(entry.terms.values())
    return entry


class Matcher:
    """BM25 over runbook entries with weighted fields and a confidence threshold."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.candidates = list(candidates)
        self.threshold = threshold
        self.k1 = k1
        self.b = b
        count = len(self.candidates) or 1
        self.average_length = sum(c.length for c in self.candidates) / count or 1.0
        document_frequency: Counter[str] = Counter()
        for entry in self.candidates:
            document_frequency.update(entry.terms.keys())
        self.idf = {
            term: math.log(1 + (count - n + 0.5) / (n + 0.5))
            for term, n in document_frequency.items()
        }

    def match(self, query: AlertQuery, limit: int = 5) -> list[Match]:
        """Suggestions, best first, at most ``limit``; empty when nothing fits well enough."""
        weights: dict[str, float] = defaultdict(float)
        surfaces: dict[str, set[str]] = defaultdict(set)
        for stem, weight, surface in query.terms():
            weights[stem] = max(weights[stem], weight)
            surfaces[stem].add(surface)
        known = {t: w for t, w in weights.items() if t in self.idf}
        if not known:
            return []
        ceiling = sum(w * self.idf[t] * (self.k1 + 1) for t, w in known.items())
        scored: list[tuple[float, Candidate, list[tuple[float, str]]]] = []
        for entry in self.candidates:
            norm = self.k1 * (1 - self.b + self.b * entry.length / self.average_length)
            contributions = []
            for term, weight in known.items():
                frequency = entry.terms.get(term, 0.0)
                if frequency:
                    gain = weight * self.idf[term] * frequency * (self.k1 + 1) / (frequency + norm)
                    contributions.append((gain, term))
            if contributions:
                scored.append((sum(g for g, _ in contributions) / ceiling, entry, contributions))
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
