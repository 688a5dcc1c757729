"""Select: the ranking of an article's own sentences, the top-up, and a member's summary point."""

from __future__ import annotations

from briefgen.dedupe.stories import build_story, story_budget
from briefgen.models import Article, ArticleSummary, Evidence, KeyPoint
from briefgen.notes.ground import evidence_sentences, summary_point
from briefgen.notes.select import is_candidate, newsworthiness, point_budget, top_up


def art(aid: str, body: str, title: str = "Title") -> Article:
    return Article.create(source=f"{aid}.txt", title=title, body=body)


def test_figures_names_and_quotes_outrank_a_plain_sentence() -> None:
    plain = "The meeting was described by officials as long and at times difficult for everyone."
    factual = "The central bank raised its rate by 25 basis points to 4.5 percent, Governor Ana Ruiz said."
    assert newsworthiness(factual, 5) > newsworthiness(plain, 1)


def test_a_recap_of_earlier_events_counts_for_little() -> None:
    news = "Toyota said on Tuesday it would recall 1.2 million cars in Japan and Canada."
    recap = "Toyota has long said it would recall 1.2 million cars in Japan and Canada."
    last_year = "Last year Toyota recalled 1.2 million cars in Japan and Canada."
    assert newsworthiness(recap, 1) < newsworthiness(news, 1) / 2
    assert newsworthiness(last_year, 1) < newsworthiness(news, 1) / 2
    weeks_ago = "Six weeks ago Toyota recalled 1.2 million cars in Japan and Canada."
    before_that = "Before that, Toyota had recalled 1.2 million cars in Japan and Canada."
    # The same words without the recap phrase ("later", "After that") score above twice as much.
    assert newsworthiness(weeks_ago, 1) < newsworthiness(weeks_ago.replace("ago", "later"), 1) / 2
    assert newsworthiness(before_that, 1) < newsworthiness(before_that.replace("Before", "After"), 1) / 2



def test_a_span_of_the_past_or_many_occasions_summed_up_counts_for_little() -> None:
    # Each against the same sentence with a neutral phrase in its place: only the phrase differs.
    for phrase, neutral in (("throughout 2024", "on Tuesday"), ("on several occasions", "on Tuesday")):
        recap = f"Toyota recalled 1.2 million cars in Japan and Canada {phrase}."
        news = recap.replace(phrase, neutral)
        assert newsworthiness(recap, 1) < newsworthiness(news, 1) / 2, phrase
    instances = "He has mentioned several instances where Toyota recalled cars in Japan and Canada."
    assert newsworthiness(instances, 1) < newsworthiness(instances.replace("several instances", "a case"), 1) / 2
    # A figure of the day given over a period is news, not a recap.
    for phrase in ("over the past year", "in recent weeks"):
        figure = f"Consumer prices rose 2.1 percent {phrase}, Statistics Norway said on Tuesday."
        assert newsworthiness(figure, 1) == newsworthiness(figure.replace(phrase, "this autumn"), 1), phrase


def test_who_did_not_comment_is_no_news() -> None:
    for line in ("The White House has not publicly commented on the talks between Trump and Zelenskiy.",
                 "Toyota declined to comment on the recall in Japan and Canada.",
                 "Toyota did not immediately respond to a request for comment from Reuters.",
                 "A spokesperson for Toyota in Japan could not be reached."):
        said = (line.replace("has not publicly commented", "commented")
                .replace("declined to comment", "commented").replace("did not immediately respond", "responded")
                .replace("could not be reached", "confirmed it"))
        assert said != line and newsworthiness(line, 1) < newsworthiness(said, 1) / 2, line

def test_candidates_are_statements_of_reasonable_length() -> None:
    assert is_candidate("The council approved the new budget of 4 million euros on Monday.")
    assert not is_candidate("Why did the council approve the new budget of 4 million euros on Monday?")
    assert not is_candidate("Budget approved.")
    assert not is_candidate(" ".join(["word"] * 50) + ".")


def test_top_up_fills_with_the_most_factual_uncovered_sentences() -> None:
    body = ("Storms hit the coast on Monday. "
            "The storm killed 14 people in the province of Quang Ngai, officials said. "
            "Residents were told to stay indoors for the rest of the day and night. "
            "About 120,000 homes lost power, utility EVN said on Tuesday morning.")
    article = art("a", body)
    sentences = evidence_sentences(article)
    points, extracted = top_up([], "Storms hit the coast on Monday.", article, sentences, 3)
    texts = [p.text for p in points]
    assert extracted == 2 and len(points) == 2
    assert sorted(t.split()[0] for t in texts) == ["About", "The"]  # the two with figures, not the plain one
    assert all(p.status == "extracted" and p.verified for p in points)
    assert {p.evidence[0].quote for p in points} == {sentences[2], sentences[4]}


def summary(aid: str, text: str, *points: KeyPoint) -> ArticleSummary:
    return ArticleSummary(article_id=aid, headline="H", summary=text, key_points=list(points))


def test_summary_point_is_the_sentence_the_summary_rests_on() -> None:
    body = ("Zelensky said he would speak with Trump by phone on Thursday to seek new sanctions on Russia. "
            "He spoke in Copenhagen next to Danish Prime Minister Mette Frederiksen on Wednesday.")
    article = art("b", body)
    sentences = evidence_sentences(article)
    s = summary(article.id, "Zelensky will speak with Trump by phone on Thursday to seek new sanctions on Russia.")
    kp = summary_point(s, sentences)
    assert kp is not None and kp.evidence[0].sentences == [1] and kp.text == sentences[1]
    # Already cited by a point: nothing new.
    cited = KeyPoint(text="x", evidence=[Evidence(article_id=article.id, sentences=[1])], verified=True)
    assert summary_point(summary(article.id, s.summary, cited), sentences) is None
    # A summary no one sentence supports gives none.
    assert summary_point(summary(article.id, "Denmark pledges F-16 jets and a new air base for Kyiv."), sentences) is None


def test_a_second_outlets_main_fact_reaches_the_story() -> None:
    """The story shows the lead's summary; the other outlet's summary fact becomes a point."""
    lead = art("a", "Zelensky ruled out giving up territory for peace, speaking in Copenhagen on Wednesday. "
                    "He asked for legally binding security guarantees and more Patriot systems from Washington.",
               title="Zelensky rules out ceding territory")
    other = art("b", "Zelensky said he would speak with Trump by phone on Thursday to push for harsher sanctions. "
                     "He later travels to Paris to meet European leaders about a peacekeeping force.",
                title="Zelensky to call Trump")
    lead_kp = KeyPoint(text="Zelensky asked for legally binding guarantees and more Patriot systems.",
                       evidence=[Evidence(article_id=lead.id, sentences=[2])], verified=True, status="verified")
    sums = {lead.id: summary(lead.id, "Zelensky ruled out giving up territory for peace in Copenhagen.", lead_kp),
            other.id: summary(other.id, "Zelensky will speak with Trump by phone on Thursday to push for harsher sanctions.")}
    story = build_story([lead.id, other.id], sums, {lead.id: lead, other.id: other})
    texts = [kp.text for kp in story.key_points]
    assert any("by phone on Thursday" in t for t in texts), texts
    phone = next(kp for kp in story.key_points if "by phone" in kp.text)
    assert phone.evidence[0].article_id == other.id and phone.status == "extracted"


def test_a_definition_or_an_old_year_is_not_the_days_news() -> None:
    news = "Norland Motors said on Tuesday it would disable cruise control on 84,000 Vela cars."
    about = "Norland Motors AB is a Swedish manufacturer of electric vehicles with 84,000 cars in Gothenburg."
    founded = "The company was founded in 2014 and sells its 84,000 cars in 31 markets."
    old = "Malatya was among 11 provinces hit by the February 2023 earthquakes, which killed 53,000 people."
    assert newsworthiness(about, 1) < newsworthiness(news, 1) / 2
    assert newsworthiness(founded, 1) < newsworthiness(founded.replace("was founded in", "opened a plant in"), 1) / 2
    assert newsworthiness(old, 1, year=2025) < newsworthiness(old, 1) / 2
    assert newsworthiness(old, 1, year=2023) == newsworthiness(old, 1)


def test_a_longer_article_brings_more_points_within_bounds() -> None:
    assert point_budget(12, 5) == 4  # one per three sentences, at least max_key_points - 1
    assert point_budget(21, 5) == 7
    assert point_budget(60, 5) == 10  # at most twice max_key_points
    assert point_budget(3, 3) == 2
    assert story_budget([7, 4]) == 9  # the largest member's, two more per further member
    assert story_budget([5]) == 5 and story_budget([5, 0]) == 0 and story_budget([]) == 0


def test_the_summary_point_is_one_sentence_that_supports_the_summary_alone() -> None:
    """A deck line and the lede together cover the summary best; the point must be the lede,
    not the first sentence of that pair (which does not say it)."""
    body = ("Ukrainian president asks for air defence and sanctions at a press conference in Copenhagen. "
            "Zelensky said on Wednesday that Kyiv will not give up any territory in exchange for peace with Russia. "
            "He also met Nordic leaders.")
    article = art("c", body)
    sentences = evidence_sentences(article)
    s = summary(article.id, "Zelensky says Kyiv will not give up any territory in exchange for peace with Russia, "
                            "asking for air defence.")
    kp = summary_point(s, sentences)
    assert kp is not None and kp.evidence[0].sentences == [2], kp


def test_a_long_article_does_not_lead_its_story_for_its_length() -> None:
    """Budgets grow with length; the lead is still chosen by what the points say, not how many."""
    short = art("s", "The bank raised its rate to 4.5 percent on Tuesday, Governor Ana Ruiz said in Lima. "
                     "It was the third rise this year.", title="Peru's central bank raises rate to 4.5%")
    live = art("l", " ".join(f"Update {i}: traders in Lima reacted to the decision of the bank." for i in range(30)),
               title="Live: markets react")
    kp = lambda aid, n: KeyPoint(text=f"p{aid}{n}", evidence=[Evidence(article_id=aid, sentences=[n])],  # noqa: E731
                                 verified=True, status="extracted")
    sums = {short.id: ArticleSummary(article_id=short.id, headline="Peru's bank raises rate to 4.5%", summary="S",
                                     key_points=[kp(short.id, n) for n in (1, 2, 3, 4)], people=["Ana Ruiz"],
                                     places=["Lima"], point_budget=4),
            live.id: ArticleSummary(article_id=live.id, headline="Markets react", summary="L",
                                    key_points=[kp(live.id, n) for n in range(1, 11)], point_budget=10)}
    story = build_story([short.id, live.id], sums, {short.id: short, live.id: live})
    assert story.headline == "Peru's bank raises rate to 4.5%"
    assert story.point_budget == 12


def test_a_sentence_that_names_its_day_ranks_above_the_same_without_one() -> None:
    dated = "On Friday, the mayor will travel to Lyon to meet regional leaders."
    undated = "The mayor will travel to Lyon to meet regional leaders."
    assert newsworthiness(dated, 3) > newsworthiness(undated, 3)
    # A day does not lift a recap above the news.
    assert newsworthiness("On Friday last year the mayor had long opposed the plan.", 3) < newsworthiness(dated, 3)
