"""The labeled news set (tests/fixtures/newsset/) and its scorer (bench/score_newsset.py), no model.

(a) the labels themselves are valid — skipped while the labels folder has no file yet;
(b) the scorer's figures on hand-made brief JSON (the public contract only).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

sn = importlib.import_module("score_newsset")

LABELS = ROOT / "tests" / "fixtures" / "newsset" / "labels"
SEEDS_TOML = ROOT / "tests" / "fixtures" / "newsset" / "seeds.toml"


# --------------------------------------------------------------------------- (a) the label set


@pytest.mark.skipif(not any(LABELS.glob("*.toml")), reason="no newsset label files yet")
def test_newsset_labels_are_valid() -> None:
    events, problems = sn.load_labels(LABELS)
    more, _notes = sn.validate(events)
    assert events
    assert problems + more == []


@pytest.mark.skipif(not SEEDS_TOML.exists(), reason="no seeds.toml yet")
def test_seed_labels_are_valid() -> None:
    events, problems = sn.load_seeds(SEEDS_TOML)
    more, _notes = sn.validate(events)
    assert events
    assert problems + more == []


GOOD_LABEL = '''
event = "quake-a"
beat = "disasters"
split = "tune"
date = "2025-09-17"
description = "A magnitude 6.1 quake hits Townsville"
traps = []

[[article]]
file = "x1.txt"
style = "wire"
format = "txt"
dated = "full"
furniture = ["Share this story"]
background = ["Townsville lies on a fault line."]

[[article]]
file = "x2.json"
style = "reprint"
format = "json"
dated = "front-matter"
wire_of = "x1.txt"

[[fact]]
text = "A magnitude 6.1 quake hit Townsville"
all = [["6.1"], ["quake", "earthquake"]]
in = ["x1.txt", "x2.json"]

[[wrong]]
text = "magnitude 7"
pattern = "magnitude 7"
'''


def _label_set(tmp_path: Path, label: str = GOOD_LABEL) -> Path:
    arts, labels = tmp_path / "articles", tmp_path / "labels"
    arts.mkdir(exist_ok=True)
    labels.mkdir(exist_ok=True)
    (arts / "x1.txt").write_text("A magnitude 6.1 quake hit Townsville on Wednesday.\nShare   this story\n"
                                 "Townsville lies on a fault line.\n", encoding="utf-8")
    (arts / "x2.json").write_text(json.dumps({"title": "Quake", "body": "A 6.1 earthquake struck Townsville.",
                                              "published": "2025-09-17"}), encoding="utf-8")
    (labels / "quake-a.toml").write_text(label, encoding="utf-8")
    return labels


def _problems(labels: Path) -> list[str]:
    events, problems = sn.load_labels(labels)
    more, _ = sn.validate(events)
    return problems + more


def test_validation_passes_a_good_label(tmp_path: Path) -> None:
    assert _problems(_label_set(tmp_path)) == []


@pytest.mark.parametrize("old,new,expect", [
    ('file = "x1.txt"', 'file = "nope.txt"', "file does not exist"),
    ('furniture = ["Share this story"]', 'furniture = ["Share this article"]', "furniture line not found"),
    ('background = ["Townsville lies on a fault line."]', 'background = ["It lies on a fault."]',
     "background line not found"),
    ('all = [["6.1"], ["quake", "earthquake"]]', 'all = [["6.1"], ["tsunami"]]', "matches none of its `in` files"),
    ('pattern = "magnitude 7"', 'pattern = "magnitude (7"', "does not compile"),
    ('pattern = "magnitude 7"', 'pattern = "magnitude 6"', "matches a fact"),
    ('beat = "disasters"', 'beat = "weather"', "beat"),
    ('event = "quake-a"', 'event = "quake-b"', "not the file name"),
    ('in = ["x1.txt", "x2.json"]', 'in = ["x3.txt"]', "not an article of this event"),
])
def test_validation_catches_a_broken_label(tmp_path: Path, old: str, new: str, expect: str) -> None:
    assert old in GOOD_LABEL
    problems = _problems(_label_set(tmp_path, GOOD_LABEL.replace(old, new)))
    assert any(expect in p for p in problems), problems


def test_validation_reports_a_label_that_does_not_parse(tmp_path: Path) -> None:
    labels = _label_set(tmp_path, GOOD_LABEL + "\n[[fact\n")
    assert any("cannot read" in p for p in _problems(labels))


# --------------------------------------------------------------------------- (b) the scorer


def _event(name: str, files: list[str], base: Path, *, beat: str = "economy", facts: list[dict] | None = None,
           wrongs: list[dict] | None = None, furniture: dict[str, list[str]] | None = None,
           background: dict[str, list[str]] | None = None) -> sn.Event:
    return sn.event_from_dict({
        "event": name, "beat": beat, "split": "tune", "date": "2025-09-17", "description": name,
        "article": [{"file": f, "furniture": (furniture or {}).get(f, []), "background": (background or {}).get(f, [])}
                    for f in files],
        "fact": facts or [], "wrong": wrongs or [],
    }, base)


def _ref(name: str, copy_of: str | None = None) -> dict:
    return {"id": name, "title": name, "source": f"/tmp/newsset-x/articles/{name}", "outlet": None,
            "wire_copy_of": copy_of}


def _point(text: str, status: str = "verified", verified: bool = True) -> dict:
    return {"text": text, "status": status, "verified": verified, "evidence": [], "flags": []}


def _story(refs: list[dict], headline: str = "H", summary: str = "", points: list[dict] | None = None,
           shown: bool = True) -> dict:
    return {"id": headline, "headline": headline, "summary": summary, "key_points": points or [],
            "articles": refs, "shown": shown}


def _brief(stories: list[dict], failures: list[dict] | None = None, grounding: dict | None = None) -> dict:
    return {"schema_version": "1", "stories": stories, "failures": failures or [],
            "stats": {"wall_time_s": 1.5, "llm_calls": 3, "grounding": grounding or {}}}


def test_bcubed_on_a_known_partition(tmp_path: Path) -> None:
    # Events A = {a1, a2, a3}, B = {b1, b2}. Story 1 = {a1, a2 (a wire copy of a1), b1};
    # story 2 = {a3}; b2 failed (in no story: a singleton).
    events = [_event("A", ["a1.txt", "a2.txt", "a3.txt"], tmp_path), _event("B", ["b1.txt", "b2.txt"], tmp_path)]
    brief = _brief([_story([_ref("a1.txt"), _ref("a2.txt", copy_of="a1.txt"), _ref("b1.txt")], "one"),
                    _story([_ref("a3.txt")], "two")],
                   failures=[{"source": "/tmp/newsset-x/articles/b2.txt", "reason": "boom", "stage": "summarize"}])
    # By hand, per item (a1, a2, a3, b1, b2):
    #   precision |C∩K|/|C| = 2/3, 2/3, 1/1, 1/3, 1/1  -> mean 11/15
    #   recall    |C∩K|/|K| = 2/3, 2/3, 1/3, 1/2, 1/2  -> mean 8/15
    #   F1 = 2PR/(P+R) = 176/285
    p, r, f1 = 11 / 15, 8 / 15, 176 / 285
    fig = sn.score(brief, events)
    c = fig["clustering"]
    assert c["precision"] == pytest.approx(p, abs=1e-4)
    assert c["recall"] == pytest.approx(r, abs=1e-4)
    assert c["f1"] == pytest.approx(f1, abs=1e-4)
    assert [m["file"] for m in c["missing"]] == ["b2.txt"] and c["missing"][0]["failure"] == "boom"
    assert len(c["wrong_merges"]) == 1 and "A: a1.txt, a2.txt; B: b1.txt" in c["wrong_merges"][0]
    assert {s.split(":")[0] for s in c["splits"]} == {"A", "B"}
    assert fig["stories"] == 2 and fig["events"] == 2

    files, event_of, _ = sn.item_keys(events)
    asg = sn.assign(brief, files)
    assert sn.bcubed(asg.cluster, event_of) == pytest.approx((p, r, f1))
    assert asg.story_of["a2.txt"] == 0  # the wire copy maps to the story of its original


def test_perfect_clustering_scores_one(tmp_path: Path) -> None:
    events = [_event("A", ["a1.txt", "a2.json"], tmp_path), _event("B", ["b1.html"], tmp_path)]
    brief = _brief([_story([_ref("a1.txt"), {**_ref("a2.json[0]"), "wire_copy_of": "a1.txt"}]),
                    _story([_ref("b1.html")])])
    c = sn.score(brief, events)["clustering"]
    assert (c["precision"], c["recall"], c["f1"]) == (1.0, 1.0, 1.0)
    assert c["wrong_merges"] == c["splits"] == c["missing"] == []


FACT = {"text": "The Fed cut by a quarter point", "all": [["quarter", "25 basis"], ["cut", "lower"]], "in": ["a1.txt"]}


def _fact_recall(tmp_path: Path, story: dict) -> dict:
    events = [_event("fed", ["a1.txt"], tmp_path, facts=[FACT])]
    return sn.score(_brief([story]), events)["facts"]


def test_fact_carried_by_one_sentence(tmp_path: Path) -> None:
    f = _fact_recall(tmp_path, _story([_ref("a1.txt")], "Rates", "The Fed met. It lowered rates by 25 basis points."))
    assert (f["carried"], f["total"]) == (1, 1)
    assert f["by_beat"]["economy"]["recall"] == 1.0
    f = _fact_recall(tmp_path, _story([_ref("a1.txt")], "Fed", points=[_point("A QUARTER-point CUT.")]))
    assert f["carried"] == 1


def test_fact_split_across_two_sentences_is_not_carried(tmp_path: Path) -> None:
    # "cut" in the headline, "quarter" in the summary; and across two summary sentences.
    f = _fact_recall(tmp_path, _story([_ref("a1.txt")], "Fed cuts rates", "The move was a quarter point."))
    assert f["carried"] == 0 and f["missed"][0]["fact"] == FACT["text"]
    f = _fact_recall(tmp_path, _story([_ref("a1.txt")], "Fed", "The Fed cut rates. The move was a quarter point."))
    assert f["carried"] == 0


def test_fact_only_in_unshown_text_is_not_carried(tmp_path: Path) -> None:
    five = [_point(f"Point {i} about jobs.") for i in range(5)]
    sixth = _story([_ref("a1.txt")], "Fed", points=five + [_point("A quarter-point cut.")])  # cut at 5
    assert _fact_recall(tmp_path, sixth)["carried"] == 0
    unverified = _story([_ref("a1.txt")], "Fed", points=[_point("A quarter-point cut.", "unverified", False)])
    assert sn.shown_points(unverified) == []
    assert len(sn.shown_points(unverified, show_unverified=True)) == 1
    hidden = _story([_ref("a1.txt")], "Fed cut a quarter point", shown=False)
    assert _fact_recall(tmp_path, hidden)["carried"] == 0


def test_fact_uses_the_plurality_story(tmp_path: Path) -> None:
    events = [_event("fed", ["a1.txt", "a2.txt", "a3.txt"], tmp_path, facts=[FACT])]
    brief = _brief([_story([_ref("a1.txt")], "Fed cut a quarter point"),
                    _story([_ref("a2.txt"), _ref("a3.txt")], "Fed holds")])
    f = sn.score(brief, events)["facts"]
    assert f["carried"] == 0 and f["missed"][0]["where"] == "story 2"


def test_wrong_pattern_counted(tmp_path: Path) -> None:
    events = [_event("fed", ["a1.txt"], tmp_path, wrongs=[{"text": "Powell dissent", "pattern": r"powell[^.]{0,40}dissent"}])]
    brief = _brief([_story([_ref("a1.txt")], "Fed cuts", "Rates fell.", [_point("POWELL was the lone dissenter.")]),
                    _story([_ref("z9.txt")], "Other", "Powell spoke. Miran dissented.")])
    w = sn.score(brief, events)["wrong_facts"]
    assert w["count"] == 1 and w["hits"][0]["story"] == 1 and w["hits"][0]["kind"] == "point"


def test_furniture_line_counted(tmp_path: Path) -> None:
    line = "WATCH: Powell says the Fed has not decided on December (2:11)"
    events = [_event("fed", ["a1.txt"], tmp_path, furniture={"a1.txt": [line, "Share"]})]
    brief = _brief([_story([_ref("a1.txt")], "Fed cuts rates", "watch: powell says the  fed has not decided on "
                           "December (2:11) and more.", [_point("Shares rose after the decision.")])])
    fur = sn.score(brief, events)["furniture"]
    assert fur["count"] == 1 and fur["hits"][0]["kind"] == "summary"  # "Share" is not in "Shares"
    # a shown sentence inside a furniture line counts when longer than 20 characters
    brief = _brief([_story([_ref("a1.txt")], "Powell says the Fed has not decided")])
    assert sn.score(brief, events)["furniture"]["count"] == 1
    brief = _brief([_story([_ref("a1.txt")], "Powell says")])
    assert sn.score(brief, events)["furniture"]["count"] == 0


def test_background_point_counted(tmp_path: Path) -> None:
    bg = "The Federal Reserve was created in 1913 to provide a safer monetary system."
    events = [_event("fed", ["a1.txt"], tmp_path, background={"a1.txt": [bg]})]
    brief = _brief([_story([_ref("a1.txt")], "Fed", points=[_point("The Federal Reserve was created in 1913."),
                                                            _point("The Fed cut rates by a quarter point.")])])
    b = sn.score(brief, events)["background_points"]
    assert b["count"] == 1 and b["hits"][0]["point"].startswith("The Federal Reserve was created")


def test_point_over_35_words_counted(tmp_path: Path) -> None:
    long = " ".join(["word"] * 36)
    events = [_event("fed", ["a1.txt"], tmp_path)]
    brief = _brief([_story([_ref("a1.txt")], "Fed", points=[_point(long), _point(" ".join(["w"] * 35)),
                                                            _point("Short one.")])])
    pw = sn.score(brief, events)["point_words"]
    assert pw["over_35"] == 1 and pw["max"] == 36 and pw["count"] == 3
    assert pw["mean"] == pytest.approx((36 + 35 + 2) / 3, abs=0.01)


def test_verified_as_written_and_as_shown(tmp_path: Path) -> None:
    events = [_event("fed", ["a1.txt"], tmp_path)]
    points = [_point("A."), _point("B.", "fallback"), _point("C.", "extracted"), _point("D.")]
    brief = _brief([_story([_ref("a1.txt")], "Fed", points=points)], grounding={"generated": 5, "verified": 2})
    v = sn.score(brief, events)["verified"]
    assert v["as_written_stats"]["share"] == pytest.approx(0.4)
    assert (v["as_written_brief"]["verified"], v["as_written_brief"]["written"]) == (2, 3)
    assert (v["as_shown"]["verified"], v["as_shown"]["shown"]) == (4, 4)
    assert v["as_shown"]["by_status"] == {"verified": 2, "fallback": 1, "extracted": 1}


def test_split_sentences_keeps_abbreviations() -> None:
    assert sn.split_sentences("U.S. President Trump spoke. Mr. Powell left! Then 3 more came.") == [
        "U.S. President Trump spoke.", "Mr. Powell left!", "Then 3 more came."]


def test_undate_removes_dates_keeps_weekdays() -> None:
    text = ("---\ntitle: Fed\npublished: 2025-09-17\noutlet: Wire\n---\nPublished: September 17, 2025\n"
            "WASHINGTON, Wednesday, September 17, 2025 - The Fed cut on 17 September 2025 and on 2025-09-17T18:00Z.\n"
            "Updated guidance will follow.\n")
    out = sn.undate(text, ".md")
    assert "published" not in out.lower().split("---")[1]
    assert "2025" not in out and "September" not in out
    assert "Wednesday" in out and "Updated guidance will follow." in out and "outlet: Wire" in out
    js = json.loads(sn.undate(json.dumps({"title": "T", "body": "Sept. 17, 2025: cut.", "published": "2025-09-17"}),
                              ".json"))
    assert "published" not in js and "2025" not in js["body"]
    page = ('<html><head><meta property="article:published_time" content="2025-09-17T10:00:00Z"></head>'
            '<body><p>Updated: 17/09/2025 10:00</p><p>The Fed cut rates on Wednesday.</p></body></html>')
    out = sn.undate(page, ".html")
    assert "2025" not in out and "Updated" not in out and "on Wednesday" in out


def test_cli_scores_a_given_brief(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = _label_set(tmp_path)
    brief = _brief([_story([_ref("x1.txt"), _ref("x2.json", "x1.txt")], "A 6.1 quake hits Townsville")])
    path = tmp_path / "brief.json"
    path.write_text(json.dumps(brief), encoding="utf-8")
    assert sn.main(["--labels", str(labels), "--brief", str(path), "--json", "--out", str(tmp_path / "o.json")]) == 0
    fig = json.loads(capsys.readouterr().out)
    assert fig["clustering"]["f1"] == 1.0 and fig["facts"]["recall"] == 1.0 and fig["label_problems"] == []
    assert (tmp_path / "o.json").exists()
    assert sn.main(["--labels", str(labels), "--brief", str(path)]) == 0
    assert "B-cubed F1" in capsys.readouterr().out
