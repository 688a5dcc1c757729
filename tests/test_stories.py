"""Story building: sources, independent outlets, merged key points, disagreements."""

from __future__ import annotations

from datetime import date, datetime, timezone

from briefgen.dedupe.neardup import collapse_near_duplicates
from briefgen.models import Article, ArticleSummary, Evidence, KeyPoint, Story
from briefgen.dedupe.stories import build_story, compare_points, independent_outlets, merge_key_points, pick_lead, union_names
from metrics import load_event_fixtures


def _event(name: str) -> tuple[list[str], dict[str, ArticleSummary], dict[str, Article], dict[str, str]]:
    labeled = [x for x in load_event_fixtures() if x.event == name]
    reps = collapse_near_duplicates([x.article for x in labeled])
    articles = {r.id: r for r in reps}
    summaries = {x.article.id: x.summary for x in labeled}
    keys = {x.article.id: x.key for x in labeled}
    return sorted(articles), summaries, articles, keys


def _kp(text: str, aid: str, n: int) -> KeyPoint:
    return KeyPoint(text=text, evidence=[Evidence(article_id=aid, sentences=[n], quote=f"sentence {n} of {aid}")])


def test_story_cites_every_outlet_and_counts_wire_copies_once() -> None:
    ids, summaries, articles, keys = _event("boc-cut-2025-03")
    story = build_story(ids, summaries, articles)
    assert story.id == Story.make_id(ids)
    assert len(ids) == 3  # the wire copy was collapsed before
    refs = {keys[r.id]: r for r in story.articles}
    assert set(refs) == {"boc-cut-cpa", "boc-cut-ledger", "boc-cut-metro", "boc-cut-cpa-copy"}
    assert refs["boc-cut-cpa-copy"].wire_copy_of == refs["boc-cut-cpa"].id
    assert story.outlets == 3  # Harbour Gazette's reprint adds no independent outlet
    assert story.event_date == date(2025, 3, 12)  # two say the 12th, one the 13th
    assert story.first_seen == datetime(2025, 3, 12, 14, 5, tzinfo=timezone.utc)


def test_unknown_outlets_count_by_source() -> None:
    a = Article.create(source="/in/one.txt", title="a", body="Alpha beta gamma delta.")
    b = Article.create(source="/in/two.txt", title="b", body="Epsilon zeta eta theta.")
    c = Article.create(source="/in/three.txt", title="c", body="Iota kappa.", outlet="Same Outlet")
    d = Article.create(source="/in/four.txt", title="d", body="Lambda mu.", outlet="same outlet")
    assert independent_outlets([x.ref() for x in (a, b, c, d)]) == 3


def test_same_fact_merges_evidence_from_every_source() -> None:
    s1 = ArticleSummary(article_id="a1", headline="h", summary="s", key_points=[
        _kp("Lufthansa cancelled about 800 flights on Thursday.", "a1", 1),
        _kp("Shares fell 2.1% in Frankfurt.", "a1", 4)])
    s2 = ArticleSummary(article_id="a2", headline="h", summary="s", key_points=[
        _kp("About 800 Lufthansa flights were cancelled on Thursday.", "a2", 3)])
    s3 = ArticleSummary(article_id="a3", headline="h", summary="s", key_points=[
        _kp("Lufthansa cancelled 800 flights on Thursday.", "a3", 2)])
    points, disagreements = merge_key_points([s1, s2, s3])
    assert not disagreements
    assert len(points) == 2
    merged = points[0]  # the fact three sources support comes first
    assert merged.article_ids == ["a1", "a2", "a3"]
    assert [e.sentences for e in merged.evidence] == [[1], [3], [2]]
    assert points[1].article_ids == ["a1"]


def test_different_figures_are_a_disagreement_not_a_merge() -> None:
    ids, summaries, articles, keys = _event("quake-izmir-2025-03-03")
    story = build_story(ids, summaries, articles)
    death_tolls = [d for d in story.disagreements if any("three" in c.text or "four" in c.text for c in d.claims)]
    assert len(death_tolls) == 1, story.disagreements
    claims = {c.text: {keys[a] for a in c.article_ids} for c in death_tolls[0].claims}
    assert any("three" in t and "quake1-cpa" in who for t, who in claims.items())
    assert any("four" in t and who == {"quake1-eastern"} for t, who in claims.items())
    # Neither count was merged into the other.
    for kp in story.key_points:
        if "killed" in kp.text:
            assert len({keys[a] for a in kp.article_ids}) == 1


def test_compare_points_is_conservative() -> None:
    assert compare_points("The bank held its rate at 2.75%.", "The bank kept its rate at 2.75%.") == "same"
    assert compare_points("The bank held its rate at 2.75%.", "The bank held its rate at 3.00%.") == "conflict"
    assert compare_points("Merz said the checks will stay.", "Macron said the checks will stay.") == "conflict"
    assert compare_points("Arsenal beat Chelsea 2-1.", "Chelsea beat Arsenal 3-0.") != "same"
    assert compare_points("The quake killed 3 people.", "The quake killed 3 people and injured 41.") == "different"
    assert compare_points("Schools were closed for two days.", "Airbus shares rose on Thursday.") == "different"


def test_one_source_contradicting_itself_is_not_a_disagreement() -> None:
    s = ArticleSummary(article_id="a", headline="h", summary="s", key_points=[
        _kp("The fire burned 700 hectares near the city.", "a", 1), _kp("The fire burned 720 hectares near the city.", "a", 5)])
    points, disagreements = merge_key_points([s])
    assert len(points) == 2 and disagreements == []


def test_lead_is_the_member_confirmed_by_others() -> None:
    ids, summaries, articles, keys = _event("lufthansa-strike-2025-10-02")
    lead = pick_lead(ids, summaries, articles)
    story = build_story(list(reversed(ids)), summaries, articles)
    assert story.headline == summaries[lead].headline and story.summary == summaries[lead].summary
    assert story.articles[0].id == lead
    # The wire story shares its cancellation figure with the other reports; the analysts' cost piece does not lead.
    assert keys[lead] == "lh1-cpa"


def test_entities_and_topics_union_case_insensitively() -> None:
    assert union_names([["Tiff Macklem", "Bank of Canada"], ["bank of canada", "Macklem", "Carolyn Rogers"]]) == [
        "Tiff Macklem", "Bank of Canada", "Carolyn Rogers"]
    ids, summaries, articles, _ = _event("merz-paris-2025-06-18")
    story = build_story(ids, summaries, articles)
    assert len({p.casefold() for p in story.people}) == len(story.people)
    assert {"Friedrich Merz", "Emmanuel Macron", "Eric Trappier"} <= set(story.people)
    assert story.topics[:1] == ["defence"] or "defence" in story.topics
    assert story.event_date == date(2025, 6, 18)  # one summary said the 19th (publication day)


def test_build_story_is_deterministic_and_handles_undated_members() -> None:
    ids, summaries, articles, _ = _event("fire-martigues-2025-07-15")
    one = build_story(ids, summaries, articles)
    two = build_story(list(reversed(ids)), summaries, articles)
    assert one == two
    assert one.first_seen is not None  # the undated member does not break the earliest date


def test_story_people_merge_spelling_variants_keeping_the_full_name() -> None:
    from briefgen.dedupe.stories import union_people

    assert union_people([["Zelensky", "Trump"], ["Volodymyr Zelenskyy", "Donald Trump", "Mette Frederiksen"]]) == [
        "Volodymyr Zelenskyy", "Donald Trump", "Mette Frederiksen"]


def _point(text: str, article: str = "a") -> KeyPoint:
    return KeyPoint(text=text, verified=True, status="extracted", evidence=[Evidence(article_id=article, sentences=[1])])


def test_a_fact_repeated_by_another_outlet_moves_below_the_new_facts() -> None:
    # The quake story of the labeled set showed its magnitude five times and its time three:
    # each repeat took the place of a fact (the 03:17 time, the contract's end in 2027).
    from briefgen.dedupe.stories import demote_repeats

    points = [
        _point("Turkey's disaster agency AFAD put the earthquake's magnitude at 6.5.", "a"),
        _point("The US Geological Survey measured the earthquake at magnitude 6.7.", "b"),     # 6.7 is new: stays
        _point("The disaster agency AFAD gave a magnitude of 6.5, the US Geological Survey 6.7.", "c"),
        _point("Salah has scored 243 goals in 394 appearances for Liverpool since 2017.", "a"),
        _point("Since 2017 Salah has 243 goals in 394 appearances, winning every domestic trophy.", "b"),
        _point("Salah has 243 goals for Liverpool and leads the scoring charts.", "c"),     # 243 said already
        _point("Liverpool's 243-goal forward is tied to the club until 2027.", "c"),        # 2027 is new: stays
        _point("Rescue teams pulled 14 survivors from a collapsed building in Pütürge.", "a"),
        _point("Rescuers worked through the night in Pütürge district.", "b"),              # no figure, new words
    ]
    out = [p.text for p in demote_repeats(points)]
    assert out[:6] == [points[i].text for i in (0, 1, 3, 6, 7, 8)]
    assert out[6:] == [points[i].text for i in (2, 4, 5)]  # kept in the JSON, below the new facts
    # A point with a figure no point above it has is never a repeat, however many words it shares.
    same_words = [_point("The bank cut its deposit rate to 2.00% on Thursday."),
                  _point("The bank cut its deposit rate to 2.25% on Thursday.", "b")]
    assert demote_repeats(same_words) == same_words
