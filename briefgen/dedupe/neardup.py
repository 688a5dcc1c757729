"""Level 1 deduplication: collapse exact and near-duplicate articles before the LLM.

The same wire story reprinted by several sites differs in headline, furniture and a few
edited words, so it is compared on its *body* as a set of word 5-gram shingles:

1. exact duplicates (equal ``content_hash``) are grouped first, for free;
2. MinHash signatures (datasketch) go into a MinHashLSH index tuned to a Jaccard a little
   below the decision threshold, so candidate pairs come from band collisions, not from
   all pairs (near-linear in the number of articles);
3. each candidate pair is confirmed by the exact Jaccard of the two shingle sets (sorted
   uint32 arrays, cheap), because LSH and the MinHash estimate are both approximate.

Groups are the connected components of confirmed pairs. Each group keeps one
representative (deterministic: full text first, then the longest body, then a known outlet,
then the earliest date, then the smallest id) and lists every other copy as a ``SourceRef``
whose ``wire_copy_of`` is the representative's id, so every outlet stays cited while the
story costs one LLM summary.

The default threshold (0.5) was chosen by measurement on the tuning split of the labeled
fixtures (``python bench/bench_dedupe.py --tune``): every threshold from 0.20 to 0.75 gives
pairwise precision and recall 1.0 there (lightly edited wire copies measure 0.68–0.85,
different reports of one event stay below 0.1); 0.5 is the middle of that band.
"""

from __future__ import annotations

import inspect
import logging
import zlib
from collections.abc import Iterable
from datetime import datetime, timezone

import numpy as np
from datasketch import MinHash, MinHashLSH

from briefgen.models import Article, ContentKind, SourceRef
from briefgen.text.tokens import tokens

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
SHINGLE_WORDS = 5
NUM_PERM = 128
# LSH recall must cover pairs a little under the threshold (the MinHash estimate is noisy);
# the exact Jaccard check removes what the looser index lets through.
LSH_SLACK = 0.15

_PERMUTATIONS: np.ndarray | None = None


def _crc32(data: bytes) -> int:
    # Deterministic across processes (unlike hash()), and much cheaper than sha1.
    return zlib.crc32(data)


# datasketch 2.0 made the permutation scheme explicit (and refuses shared permutations
# without it); 1.x has only the legacy scheme and no such argument.
_SCHEME: dict[str, str] = {"scheme": "affine32"} if "scheme" in inspect.signature(MinHash).parameters else {}


def _permutations() -> np.ndarray:
    # Building the permutation table per MinHash costs more than hashing a short article.
    global _PERMUTATIONS
    if _PERMUTATIONS is None:
        _PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, **_SCHEME).permutations
    return _PERMUTATIONS


def shingles(text: str, k: int = SHINGLE_WORDS) -> list[str]:
    """Word k-gram shingles of casefolded text (short texts give one shingle per word)."""
    words = tokens(text.casefold())
    if len(words) < k:
        return words
    return [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]


def shingle_set(text: str, k: int = SHINGLE_WORDS) -> np.ndarray:
    """Sorted unique uint32 hashes of the shingles: a compact set for exact Jaccard."""
    hashes = [_crc32(s.encode("utf-8")) for s in shingles(text, k)]
    return np.unique(np.asarray(hashes, dtype=np.uint32))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted unique hash arrays."""
    if a.size == 0 or b.size == 0:
        return 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def _identity(value: int) -> int:
    # The shingles are already hashed to uint32 (we keep those arrays for the exact check).
    return value


def _minhash(hashes: np.ndarray) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=_identity, permutations=_permutations(), **_SCHEME)
    m.update_batch(hashes.tolist())
    return m


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            # The smaller index becomes the root: stable regardless of pair order.
            lo, hi = min(ri, rj), max(ri, rj)
            self.parent[hi] = lo


def near_duplicate_pairs(
    articles: list[Article], *, threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[int, int, float]]:
    """Index pairs (i < j) whose bodies are exact or near duplicates, with their Jaccard."""
    pairs: dict[tuple[int, int], float] = {}
    first_by_hash: dict[str, int] = {}
    distinct: list[int] = []
    for i, art in enumerate(articles):
        if not art.body.strip():
            continue  # an empty body duplicates nothing (title-only items stay apart)
        j = first_by_hash.setdefault(art.content_hash, i)
        if j != i:
            pairs[(j, i)] = 1.0
        else:
            distinct.append(i)

    sets = {i: shingle_set(articles[i].body) for i in distinct}
    lsh = MinHashLSH(threshold=max(0.05, threshold - LSH_SLACK), num_perm=NUM_PERM)
    sigs: dict[int, MinHash] = {}
    for i in distinct:
        if sets[i].size == 0:
            continue
        sigs[i] = _minhash(sets[i])
        lsh.insert(i, sigs[i], check_duplication=False)
    for i in sorted(sigs):
        for j in sorted(lsh.query(sigs[i])):
            if j <= i:
                continue
            sim = jaccard(sets[i], sets[j])
            if sim >= threshold:
                pairs[(i, j)] = sim
    return sorted((i, j, s) for (i, j), s in pairs.items())


def _rep_key(art: Article) -> tuple[object, ...]:
    published = art.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return (
        art.content_kind != ContentKind.FULL,
        -len(art.body),
        art.outlet is None,
        published or datetime.max.replace(tzinfo=timezone.utc),
        art.id,
    )


def choose_representative(group: Iterable[Article]) -> Article:
    """The copy to summarize: full text, longest body, known outlet, earliest, smallest id."""
    return min(group, key=_rep_key)


def collapse_near_duplicates(articles: list[Article], *, threshold: float = DEFAULT_THRESHOLD) -> list[Article]:
    """One representative per exact/near-duplicate group, other outlets kept in ``copies``.

    Representatives come back in the order of their group's first article in the input.
    """
    uf = _UnionFind(len(articles))
    for i, j, _ in near_duplicate_pairs(articles, threshold=threshold):
        uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(articles)):
        groups.setdefault(uf.find(i), []).append(i)

    out: list[Article] = []
    for root in sorted(groups):
        members = [articles[i] for i in groups[root]]
        if len(members) == 1:
            out.append(members[0])
            continue
        rep = choose_representative(members)
        copies: dict[str, SourceRef] = {}
        for art in sorted(members, key=_rep_key):
            refs = list(art.copies) if art is rep else [art.ref(), *art.copies]
            for ref in refs:
                if ref.id != rep.id and ref.id not in copies:
                    copies[ref.id] = ref.model_copy(update={"wire_copy_of": rep.id})
        out.append(rep.model_copy(update={"copies": list(copies.values())}))
        log.debug("collapsed %d copies into %s", len(copies), rep.id)
    log.info("near-dup: %d articles -> %d unique", len(articles), len(out))
    return out
