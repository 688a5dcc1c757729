"""The data between stages (briefgen.models): identities, grounding figures, the JSON contract."""

from __future__ import annotations

from datetime import date, datetime, timezone

from briefgen.models import (SCHEMA_VERSION, Article, Brief, BriefStats, Chunk, Evidence, GroundingStats, KeyPoint,
                             Sentence, SourceRef, Story)

BODY = "The dam opened on Monday.\n\nCrowds cheered on both banks."


def test_article_ids_follow_source_and_text_and_hashes_follow_content() -> None:
    a = Article.create(source="in/a.txt", title="Dam opens", body=BODY)
    again = Article.create(source="in/a.txt", title="Another title", body=BODY)
    moved = Article.create(source="other/a.txt", title="Dam opens", body=BODY)
    reflowed = Article.create(source="in/a.txt", title="Dam opens", body="  THE dam opened on Monday.\nCrowds  cheered on both banks. ")
    edited = Article.create(source="in/a.txt", title="Dam opens", body=BODY + " It cost 40 million.")
    assert len(a.id) == 12 and len(a.content_hash) == 16
    assert a.id == again.id and a.content_hash == again.content_hash  # the title is not identity
    assert moved.id != a.id and moved.content_hash == a.content_hash  # the same text from another file
    assert reflowed.content_hash == a.content_hash and reflowed.id != a.id  # case and spacing are not content
    assert edited.content_hash != a.content_hash and edited.id != a.id
    assert a.ref().content_hash == a.content_hash and a.ref().id == a.id


def test_story_ids_do_not_depend_on_member_order() -> None:
    assert Story.make_id(["b", "a"]) == Story.make_id(["a", "b"])
    assert Story.make_id(["a"]) != Story.make_id(["a", "b"])
    assert len(Story.make_id(["a"])) == 12


def test_grounding_stats_add_field_by_field() -> None:
    a = GroundingStats(generated=5, verified=3, repaired=1, fallback=1, dropped=0, extracted=2, flagged=1)
    b = GroundingStats(generated=4, verified=2, repaired=0, fallback=0, dropped=2, repeated=1, headlines_replaced=1)
    total = a + b
    assert total.model_dump() == {k: getattr(a, k) + getattr(b, k) for k in GroundingStats.model_fields}
    assert (total.generated, total.verified, total.dropped, total.repeated) == (9, 5, 2, 1)
    assert a + GroundingStats() == a  # the empty stats are the unit
    assert a.model_dump() == GroundingStats(generated=5, verified=3, repaired=1, fallback=1, extracted=2,
                                            flagged=1).model_dump()  # inputs unchanged


def test_verified_share_counts_repaired_points_and_only_the_models_own() -> None:
    # A repaired point only had its citation corrected: its text is supported as written.
    assert GroundingStats(generated=4, verified=2, repaired=1, fallback=1).verified_share == 0.75
    # Extracted sentences are code's, not the model's: they never raise the share.
    assert GroundingStats(generated=4, verified=2, extracted=3).verified_share == 0.5
    assert GroundingStats().verified_share == 1.0  # nothing written, nothing wrong
    summed = GroundingStats(generated=2, verified=1) + GroundingStats(generated=2, repaired=2)
    assert summed.verified_share == 0.75


def test_key_point_article_ids_in_order_without_repeats() -> None:
    kp = KeyPoint(text="t", evidence=[Evidence(article_id="b"), Evidence(article_id="a"), Evidence(article_id="b")])
    assert kp.article_ids == ["b", "a"]
    assert not KeyPoint(text="t").verified and KeyPoint(text="t").status == "generated"  # code sets it, never the model


def test_source_label_is_the_outlet_or_the_file_name() -> None:
    assert SourceRef(id="1", title="t", source="in/a.txt", outlet="Valley Courier").label == "Valley Courier"
    assert SourceRef(id="1", title="t", source="in/sub/a.txt").label == "a.txt (outlet unknown)"
    assert SourceRef(id="1", title="t", source="").label == "unknown (outlet unknown)"


def test_chunk_text_joins_its_sentences() -> None:
    chunk = Chunk(article_id="a", index=0, count=1, title="t",
                  sentences=[Sentence(n=1, text="One."), Sentence(n=2, text="Two.")])
    assert chunk.text == "One. Two."


def test_brief_json_round_trips_and_shows_only_shown_stories() -> None:
    shown = Story(id="s1", headline="Dam opens", summary="s", articles=[SourceRef(id="a", title="t", source="a.txt")])
    hidden = Story(id="s2", headline="Old news", summary="s", shown=False, seen_before=True)
    brief = Brief(date=date(2025, 9, 3), title="Daily brief", generated_at=datetime(2025, 9, 3, 6, tzinfo=timezone.utc),
                  stories=[shown, hidden], stats=BriefStats(grounding=GroundingStats(generated=3, verified=2)))
    again = Brief.model_validate_json(brief.model_dump_json())
    assert again == brief and again.schema_version == SCHEMA_VERSION
    assert [s.id for s in brief.shown_stories] == ["s1"]
    # The contract references articles; it never embeds their bodies.
    assert "body" not in brief.model_dump_json()


def test_sha256_hex_is_sha256_for_texts_of_any_length() -> None:
    """Fed in pieces (so hashlib keeps the GIL), the digest is sha256's of the whole text, also
    when a multi-byte character straddles two pieces."""
    import hashlib

    from briefgen.models import sha256_hex

    for text in ("", "a", "é" * 1023 + "x", "Zelensky – “Київ” " * 400, "x" * 2047, "x" * 2048, "€" * 5000):
        assert sha256_hex(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
