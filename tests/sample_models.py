"""A small output model shared by the schema and client tests (not briefgen's own schemas)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Point(BaseModel):
    text: str = Field(max_length=200)
    sentences: list[int] = Field(default_factory=list, max_length=3)


class Summary(BaseModel):
    headline: str = Field(max_length=80)
    points: list[Point] = Field(max_length=4)
    place: str | None = None
