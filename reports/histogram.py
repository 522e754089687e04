"""Fixed log-spaced buckets of durations, so that medians and p90 add up across days and dimensions.

Bucket 0 holds durations under one second (read back as 0 s); bucket k ≥ 1 holds [RATIO^(k-1), RATIO^k) seconds
and is read back as its geometric middle RATIO^(k-1/2). A duration read back is therefore within
RATIO^(1/2) - 1 = 3.9 % of the true one (or under a second off, below one second). A percentile interpolates
between the two ranks around it, as PostgreSQL's `percentile_cont` does, each rank read back from its bucket:
the result is within the same 3.9 % of the exact percentile (a weighted mean of two values each within 3.9 %).

A histogram is a list `[first bucket, count, count...]` (dense from its first bucket), stored as the base64
of its 32-bit little-endian integers: a report reads thousands of them, and decoding these is C-speed
(JSON took most of a report's time).
"""

from __future__ import annotations

import base64
import binascii
import math
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RATIO = 1.08
ERROR = math.sqrt(RATIO) - 1  # the largest relative error of a value or a percentile read back
_LOG = math.log(RATIO)

Histogram = list[int]
EMPTY: Histogram = [0]


def bucket(seconds: float) -> int:
    if seconds < 1:
        return 0
    return int(math.log(seconds) / _LOG) + 1


def value(index: int) -> float:
    """A bucket read back: the geometric middle of its bounds; 0 for bucket 0."""
    return 0.0 if index == 0 else RATIO ** (index - 0.5)


def of_counts(counts: dict[int, int]) -> Histogram:
    """A histogram from {bucket: count}."""
    if not counts:
        return list(EMPTY)
    low, high = min(counts), max(counts)
    return [low, *[counts.get(i, 0) for i in range(low, high + 1)]]


EMPTY_TEXT = "AAAAAA=="  # dumps(EMPTY)
BANDS_TEXT = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="  # dumps([0, 0, 0, 0, 0])


def add_into(counts: dict[int, int], histogram: Sequence[int]) -> None:
    for offset, n in enumerate(histogram[1:]):
        if n:
            counts[histogram[0] + offset] = counts.get(histogram[0] + offset, 0) + n


def merged(histograms: Sequence[Sequence[int]]) -> Histogram:
    """The sum of several histograms (in C-speed list operations: pad to one span, then sum columns)."""
    spans = [h for h in histograms if len(h) > 1]
    if not spans:
        return list(EMPTY)
    if len(spans) == 1:
        return list(spans[0])
    low = min(h[0] for h in spans)
    high = max(h[0] + len(h) - 1 for h in spans)
    padded = [[0] * (h[0] - low) + list(h[1:]) + [0] * (high - h[0] - len(h) + 1) for h in spans]
    return [low, *map(sum, zip(*padded, strict=True))]


def dumps(histogram: Sequence[int]) -> str:
    packed = array("I", histogram)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def loads(text: str | None) -> Sequence[int]:
    if not text:
        return list(EMPTY)
    packed = array("I", base64.b64decode(text))
    if sys.byteorder == "big":
        packed.byteswap()
    return packed


def percentiles(histogram: Sequence[int], shares: Sequence[float]) -> list[float | None]:
    """Each share's percentile of one histogram (`row_percentiles` of it alone)."""
    return row_percentiles(np.array([[0] * histogram[0] + list(histogram[1:])], dtype=np.int64), shares)[0]


@dataclass(frozen=True)
class Packed:
    """Many stored histograms decoded at once: every count with the row it came from and its bucket. A report
    sums thousands of daily histograms into a few groups; this does it without a Python step per bucket."""

    rows: np.ndarray
    buckets: np.ndarray
    counts: np.ndarray
    width: int


def _raw(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit integers of every text, end to end, and how many each text holds."""
    decoded = [binascii.a2b_base64(text) if text else b"\0\0\0\0" for text in texts]
    lengths = np.fromiter(map(len, decoded), dtype=np.int64, count=len(decoded)) // 4
    return np.frombuffer(b"".join(decoded), dtype="<u4").astype(np.int64), lengths


def packed(texts: Sequence[str | None]) -> Packed:
    """Decode stored histograms (`dumps`), one per row."""
    data, lengths = _raw(texts)
    starts = np.cumsum(lengths) - lengths
    rows = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(len(data)) - starts[rows]  # 0: the first bucket; k >= 1: the count of first + k - 1
    counted = (offsets > 0) & (data > 0)
    buckets = data[starts][rows][counted] + offsets[counted] - 1
    return Packed(rows=rows[counted], buckets=buckets, counts=data[counted],
                  width=int(buckets.max()) + 1 if len(buckets) else 1)


def sums(histograms: Packed, groups: np.ndarray, size: int) -> np.ndarray:
    """Per group (`groups` gives each row's group, 0 <= group < size): the dense sum of its rows' histograms,
    a (size x width) array whose column k is bucket k."""
    flat = groups[histograms.rows] * histograms.width + histograms.buckets
    summed = np.bincount(flat, weights=histograms.counts, minlength=size * histograms.width)
    return np.rint(summed).astype(np.int64).reshape(size, histograms.width)


def fixed(texts: Sequence[str | None], width: int) -> np.ndarray:
    """Stored lists of `width` integers each (the first-response bands), one row each; a missing one is zeros."""
    decoded = [binascii.a2b_base64(text) if text else bytes(4 * width) for text in texts]
    return np.frombuffer(b"".join(decoded), dtype="<u4").astype(np.int64).reshape(len(decoded), width)


def row_percentiles(counts: np.ndarray, shares: Sequence[float]) -> list[list[float | None]]:
    """Each share's percentile of every row of dense histograms (a groups x buckets array, column k is bucket k)
    at once, in a few array operations instead of a Python pass per group, interpolating between ranks like
    `reports.query.ranked`, each rank read back from its bucket: per row, each share's value (None for an empty
    row)."""
    cumulative = np.cumsum(counts, axis=1)
    total = cumulative[:, -1] if cumulative.shape[1] else np.zeros(len(counts), dtype=np.int64)

    def at(rank: np.ndarray) -> np.ndarray:  # the value of each row's rank-th smallest: the first bucket past it
        index = (cumulative <= rank[:, None]).sum(axis=1)
        return np.where(index == 0, 0.0, RATIO ** (index - 0.5))

    found = np.empty((len(counts), len(shares)))
    for column, share in enumerate(shares):
        position = share * (total - 1)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, total - 1)
        a, b = at(low), at(high)
        found[:, column] = a + (b - a) * (position - low)
    return [[float(v) for v in row] if n else [None] * len(shares)
            for row, n in zip(found.tolist(), total.tolist(), strict=True)]


def of_dense(counts: np.ndarray) -> Histogram:
    """A histogram (`[first bucket, count...]`) from a dense one (column k is bucket k)."""
    found = np.flatnonzero(counts)
    if not len(found):
        return list(EMPTY)
    return [int(found[0]), *counts[found[0]:found[-1] + 1].tolist()]
