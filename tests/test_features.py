"""Per-article clustering features (briefgen.dedupe.features): terms, entities, figures, names, the event date."""

from __future__ import annotations

from datetime import date, datetime, timezone

from briefgen.dedupe.features import entity_keys, extract_features, infer_event_date
from briefgen.models import Article, ArticleSummary, KeyPoint

TUESDAY = datetime(2025, 10, 14, 8, tzinfo=timezone.utc)


def _article(body: str, **kw: object) -> Article:
    return Article.create(source="x.txt", title=kw.pop("title", "Pilots strike"), body=body, **kw)  # type: ignore[arg-type]


def _summary(art: Article, **kw: object) -> ArticleSummary:
    fields: dict[str, object] = {"headline": "h", "summary": "s"}
    fields.update(kw)
    return ArticleSummary(article_id=art.id, **fields)  # type: ignore[arg-type]


def test_event_date_from_text_when_summary_has_none() -> None:
    art = _article("Lufthansa pilots began a strike on Tuesday, cancelling flights.", published=TUESDAY)
    s = _summary(art)
    assert infer_event_date(s, art) == date(2025, 10, 14)  # a Tuesday
    undated = art.model_copy(update={"published": None})
    assert infer_event_date(s, undated) is None
    assert extract_features(s, art).event_date == date(2025, 10, 14)


def test_weekday_resolves_to_the_latest_such_day_before_publication() -> None:
    art = _article("Lufthansa pilots walked out on Friday over pensions.", published=TUESDAY)
    assert infer_event_date(_summary(art), art) == date(2025, 10, 10)


def test_the_summary_date_wins_and_an_explicit_date_beats_a_weekday() -> None:
    art = _article("On Monday the union said the strike that began on October 2 would go on.", published=TUESDAY)
    assert infer_event_date(_summary(art), art) == date(2025, 10, 2)
    given = _summary(art, event_date=date(2025, 9, 30))
    assert infer_event_date(given, art) == date(2025, 9, 30)
    assert infer_event_date(given, None) == date(2025, 9, 30)
    assert infer_event_date(_summary(art), None) is None


def test_a_date_late_in_the_body_is_context_not_the_event() -> None:
    filler = "Passengers queued at the airport as pilots picketed the terminal. " * 8
    art = _article(filler + "The last strike was on March 3.", published=TUESDAY)
    assert infer_event_date(_summary(art), art) is None


def test_entity_keys_meet_across_spellings_and_acronyms() -> None:
    art = _article("body")
    a = entity_keys(_summary(art, people=["Volodymyr Zelensky"], organizations=["European Central Bank"],
                             places=["Izmir province"]))
    b = entity_keys(_summary(art, people=["Zelenskyy"], organizations=["ECB"], places=["Izmir"]))
    assert a & b >= {"p:zelens", "o:ecb", "l:izmir"}
    assert "l:province" not in a


def test_features_weigh_the_headline_above_the_body_and_skip_stopwords() -> None:
    art = _article("The harbour tram was approved by the council.", title="Council approves tram")
    s = _summary(art, headline="Harbour tram approved", summary="Councillors backed the tram.",
                 key_points=[KeyPoint(text="The tram will cost 410 million.")])
    feats = extract_features(s, art)
    assert feats.article_id == art.id
    # headline 3 + summary 2 + key point 1.5 + title 2 + body 1
    assert feats.terms["tram"] == 3.0 + 2.0 + 1.5 + 2.0 + 1.0
    assert feats.terms["harbour"] == 3.0 + 1.0
    assert "the" not in feats.terms and "was" not in feats.terms


def test_figures_are_normalized_and_years_are_not_figures() -> None:
    art = _article("The cut of 25 basis points, the first since 2020, left 1,200 jobs safe on March 5.",
                   published=TUESDAY)
    feats = extract_features(_summary(art), art)
    assert {"0.25pp", "1200", "d:2025-03-05"} <= feats.figures
    assert "2020" not in feats.figures


def test_names_come_from_running_text_not_sentence_starts() -> None:
    art = _article("Yesterday the pilots of Lufthansa met Carsten Spohr in Frankfurt.")
    feats = extract_features(_summary(art), art)
    assert {"n:luftha", "n:carste", "n:spohr", "n:frankf"} <= feats.names
    assert "n:yester" not in feats.names


def test_without_the_article_only_the_summary_counts() -> None:
    s = ArticleSummary(article_id="a1", headline="Quake shakes Izmir", summary="A quake of magnitude 5.8 hit on Monday.",
                       people=[], places=["Izmir"], event_date=None)
    feats = extract_features(s, None)
    assert feats.names == set() and feats.published is None and feats.event_date is None
    assert "5.8" in feats.figures and "l:izmir" in feats.entities and "quake" in feats.terms


def test_features_made_with_the_reduce_are_the_ones_clustering_would_make() -> None:
    """The offload worker makes each article's features with its reduce (one task); across a
    process (pickled, as the worker returns them) they are the same, and clustering with them
    gives the same groups as clustering that makes them itself."""
    import pickle

    from briefgen.dedupe.cluster import cluster_articles
    from briefgen.dedupe.features import reduced_with_features

    arts = [_article("Lufthansa pilots began a strike on Tuesday, cancelling 800 flights in Frankfurt.", published=TUESDAY),
            _article("Pilots at Lufthansa walked out on Tuesday; 800 flights from Frankfurt were cancelled.",
                     title="Lufthansa strike", published=TUESDAY),
            _article("The Bundesbank said German inflation fell to 2.1 percent in September.", title="Inflation")]
    seen = []

    def reduce(article: Article, headline: str) -> tuple[ArticleSummary, int]:
        seen.append(article.id)
        return _summary(article, headline=headline, summary=article.body), 7

    made = {a.id: pickle.loads(pickle.dumps(reduced_with_features(reduce, a, a.title))) for a in arts}
    assert seen == [a.id for a in arts] and all(m[1] == 7 for m in made.values())
    for a in arts:
        assert made[a.id][2] == extract_features(made[a.id][0], a)
    sums, by_id = [m[0] for m in made.values()], {a.id: a for a in arts}
    groups = cluster_articles(sums, by_id, features={k: m[2] for k, m in made.items()})
    assert groups == cluster_articles(sums, by_id) and len(groups) == 2
