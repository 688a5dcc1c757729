"""Measure furniture removal on the labeled set: precision/recall per file and in total.

Labels live in ``tests/fixtures/furniture/``:

* ``<name>.labeled.txt`` — an article written for the set; every non-blank line is
  ``X | text`` where X is ``B`` (body: must survive), ``F`` (furniture: must go), ``T``
  (the title: goes to ``Cleaned.title``) or ``M`` (byline/dateline: leaves the body for
  metadata). The article is the text parts, blank lines kept.
* ``seeds/<seed>.labels`` — the same format for ``seeds/<seed>.txt``, checked line by line
  against the seed so the labels cannot drift.
* ``<name>.html`` + ``<name>.labels`` — snippets of an HTML page, labeled the same way.

Positives are F and M lines (they must leave the body). A line counts as removed when it is
not in the cleaned body. Run: ``.venv/bin/python bench/furniture_report.py``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "furniture"
sys.path.insert(0, str(ROOT))

from briefgen.sources.clean import Cleaned, clean_html, clean_text  # noqa: E402


def _norm(text: str) -> str:
    """Labels and body compared modulo tags, Markdown markup and whitespace."""
    text = re.sub(r"</?[A-Za-z][^<>]*>", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s*#{1,6}\s+", "", text).replace("**", "")
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


@dataclass
class Labeled:
    name: str
    text: str  # the article as given to the cleaner
    lines: list[tuple[str, str]]  # (label, text)
    kind: str = "text"  # text | html


def parse_labels(raw: str) -> list[tuple[str, str] | None]:
    """Each line as (label, text), or None for a blank line."""
    out: list[tuple[str, str] | None] = []
    for line in raw.splitlines():
        if not line.strip():
            out.append(None)
            continue
        label, sep, text = line.partition(" | ")
        if not sep or label not in {"B", "F", "T", "M"}:
            raise ValueError(f"bad label line: {line!r}")
        out.append((label, text))
    return out


def load_set() -> tuple[list[Labeled], list[Labeled], list[Labeled]]:
    """(own articles, held-out articles, seeds) from the fixture folder."""
    own = _load_own(FIXTURES)
    heldout = _load_own(FIXTURES / "heldout")
    seeds: list[Labeled] = []
    for path in sorted((FIXTURES / "seeds").glob("*.labels")):
        source = ROOT / "seeds" / (path.stem + ".txt")
        parsed = [p for p in parse_labels(path.read_text(encoding="utf-8")) if p]
        text = source.read_text(encoding="utf-8")
        actual = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if actual != [t for _, t in parsed]:
            raise ValueError(f"{path.name} does not match {source.name} line for line")
        seeds.append(Labeled(path.stem, text, parsed))
    return own, heldout, seeds


def _load_own(folder: Path) -> list[Labeled]:
    own: list[Labeled] = []
    for path in sorted(folder.glob("*.labeled.txt")):
        parsed = parse_labels(path.read_text(encoding="utf-8"))
        text = "\n".join("" if p is None else p[1] for p in parsed) + "\n"
        own.append(Labeled(path.name.removesuffix(".labeled.txt"), text, [p for p in parsed if p]))
    for path in sorted(folder.glob("*.html")):
        parsed = parse_labels(path.with_suffix(".labels").read_text(encoding="utf-8"))
        own.append(Labeled(path.stem, path.read_text(encoding="utf-8"), [p for p in parsed if p], "html"))
    return own


def run(item: Labeled) -> Cleaned:
    """Clean one labeled article."""
    return clean_html(item.text) if item.kind == "html" else clean_text(item.text)


def kept(line: str, cleaned: Cleaned) -> bool:
    """Is this labeled line still in the cleaned body?"""
    target = _norm(line)
    paragraphs = [_norm(p) for p in cleaned.body.split("\n\n")]
    if cleaned.dateline and target.startswith(cleaned.dateline):
        # The leading "Kyiv – " moved to metadata; the sentence after it must stay.
        rest = re.sub(r"^[^–—:-]*[–—:-]+\s*", "", target[len(cleaned.dateline):], count=1)
        if rest and any(rest in p for p in paragraphs):
            return True
    if len(target.split()) <= 4:
        # Short lines: a whole paragraph (or the wrapped end of one), not a word inside prose.
        return any(p == target or p.endswith(" " + target) for p in paragraphs)
    # The cleaner puts back a space lost after a sentence end or comma ("Kyiv.These"): not a change.
    unspaced = re.sub(r"([.!?,]) ", r"\1", target)
    return any(target in p or unspaced in re.sub(r"([.!?,]) ", r"\1", p) for p in paragraphs)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    lost: list[str] = field(default_factory=list)  # body lines removed
    missed: list[str] = field(default_factory=list)  # furniture lines kept
    title_ok: bool = True

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.lost += other.lost
        self.missed += other.missed
        self.title_ok &= other.title_ok

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(item: Labeled, cleaned: Cleaned) -> Score:
    """Compare the cleaner's output with the labels of one article."""
    s = Score()
    for label, text in item.lines:
        is_kept = kept(text, cleaned)
        if label == "B":
            if not is_kept:
                s.fp += 1
                s.lost.append(text)
        elif label in ("F", "M"):
            if is_kept:
                s.fn += 1
                s.missed.append(text)
            else:
                s.tp += 1
        elif label == "T":
            s.title_ok &= cleaned.title is not None and _norm(cleaned.title) == _norm(text)
    return s


def main() -> None:
    own, heldout, seeds = load_set()
    for group, items in (("own labeled set (rules tuned on it)", own),
                         ("second set (written after the rules were frozen; first run P 1.000 R 0.524, rules extended since)", heldout), ("seeds", seeds)):
        total = Score()
        removed_total = 0
        print(f"== {group}")
        print(f"{'file':28} {'removed':>7} {'F+M':>4} {'tp':>3} {'fp':>3} {'fn':>3} {'body lost':>9} title")
        for item in items:
            cleaned = run(item)
            s = score(item, cleaned)
            total.add(s)
            removed_total += len(cleaned.removed)
            positives = sum(1 for lab, _ in item.lines if lab in ("F", "M"))
            print(f"{item.name:28} {len(cleaned.removed):7} {positives:4} {s.tp:3} {s.fp:3} {s.fn:3} "
                  f"{len(s.lost):9} {'ok' if s.title_ok else 'WRONG'}")
            for line in s.lost:
                print(f"    LOST  {line[:100]}")
            for line in s.missed:
                print(f"    MISSED {line[:100]}")
        print(f"{'total':28} {removed_total:7} {'':4} {total.tp:3} {total.fp:3} {total.fn:3} {len(total.lost):9}")
        print(f"precision {total.precision:.3f}  recall {total.recall:.3f}\n")


NEWSSET = ROOT / "tests" / "fixtures" / "newsset"
_SENTENCE_LINE = re.compile(r"[.!?\"”’)]$")


def newsset_report(split: str) -> tuple[int, int, int, list[str], list[str]]:
    """On the newsset (labels written by people who never saw the rules): labeled furniture
    lines left in the body (missed), and real sentences (12+ words, ending like a sentence,
    not labeled furniture) that did not reach the body (lost). Text and Markdown files only:
    an HTML page's lines are not the text's lines."""
    import tomllib

    from briefgen.sources.ingest import load_sources

    labeled = missed_n = lost_n = 0
    missed: list[str] = []
    lost: list[str] = []
    for label_file in sorted((NEWSSET / "labels").glob("*.toml")):
        event = tomllib.loads(label_file.read_text())
        if split != "all" and event["split"] != split:
            continue
        for art in event["article"]:
            path = NEWSSET / "articles" / art["file"]
            if path.suffix not in (".txt", ".md"):
                continue
            articles, _ = load_sources([str(path)])
            if not articles:
                continue
            body = _norm(articles[0].title + "\n" + articles[0].body)
            furniture = [_norm(f) for f in art.get("furniture", [])]
            for line in furniture:
                labeled += 1
                if len(line) > 3 and line in body:
                    missed_n += 1
                    missed.append(f"{art['file']}: {line[:90]}")
            in_front_matter = False
            for raw in path.read_text().splitlines():
                line = _norm(raw)
                if line in ("---", "+++"):
                    in_front_matter = not in_front_matter
                    continue
                if in_front_matter or len(line.split()) < 12 or not _SENTENCE_LINE.search(line):
                    continue
                if any(line in f or f in line for f in furniture if f):
                    continue
                # A dateline ("OTTAWA, June 4 (Reuters) - ") leaves the body for metadata.
                undated = re.sub(r"^.{0,60}?\s[-–—]\s+", "", line, count=1)
                if line not in body and undated not in body:
                    lost_n += 1
                    lost.append(f"{art['file']}: {line[:90]}")
    return labeled, missed_n, lost_n, missed, lost


def main_newsset() -> None:
    for split in ("tune", "heldout"):
        labeled, missed_n, lost_n, missed, lost = newsset_report(split)
        print(f"== newsset {split} (txt/md): {labeled} furniture lines labeled, {missed_n} left in the body, "
              f"{lost_n} body sentences lost")
        for line in missed:
            print(f"    MISSED {line}")
        for line in lost:
            print(f"    LOST  {line}")


if __name__ == "__main__":
    main()
    main_newsset()
