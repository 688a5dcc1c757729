"""Synthetic news articles for scale tests and benchmarks: varied text, shared entities, same-topic traps.

Each article is one event (a topic, a place, people, an organization, figures and a date)
told in 8–14 sentences drawn from templates, so no two are near-duplicates unless asked:
``dup_rate`` makes that share of the articles light rewrites of an earlier one (wire copies).
"""

from __future__ import annotations

import random
from pathlib import Path

FIRST = ["Ana", "Boris", "Chen", "Dara", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemal", "Lena",
         "Marek", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wim", "Yara"]
LAST = ["Almeida", "Berger", "Costa", "Dumont", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova", "Jansen",
        "Kowalski", "Laurent", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka"]
PLACES = ["Lisbon", "Gdansk", "Porto", "Lyon", "Bergen", "Graz", "Tallinn", "Malmo", "Cork", "Turin", "Ghent",
          "Split", "Brno", "Tartu", "Aarhus", "Bilbao", "Leipzig", "Utrecht", "Kaunas", "Varna"]
ORGS = ["the city council", "the port authority", "the health ministry", "the transport agency", "the central bank",
        "the energy regulator", "the teachers' union", "the water board", "the rail operator", "the housing office"]
TOPICS = {
    "transport": ["a new tram line", "the ferry timetable", "a bridge closure", "bus fares", "the rail link"],
    "economy": ["interest rates", "a factory expansion", "the regional budget", "export figures", "a wage deal"],
    "health": ["a hospital wing", "waiting times", "a vaccination drive", "clinic funding", "ambulance response"],
    "energy": ["a wind farm", "heating prices", "a grid upgrade", "a solar tender", "gas storage"],
    "housing": ["rent controls", "a housing project", "building permits", "social housing", "a tower renovation"],
}
VERBS = ["approved", "rejected", "postponed", "announced", "expanded", "cut", "reviewed", "defended"]
SENTENCES = [
    "{org} {verb} plans for {thing} in {place} on {day}, officials said.",
    "{person}, who leads {org}, said the decision would affect about {n} residents.",
    "The measure is expected to cost {money} million euros over {years} years.",
    "\"We have listened to the concerns of {place},\" {person} told reporters after the vote.",
    "Critics, including {person2}, argued that {thing} had been delayed for too long.",
    "A vote on the proposal passed by {a} to {b} after a debate lasting {hours} hours.",
    "Local businesses in {place} said they had not been consulted about {thing}.",
    "The first phase of the work on {thing} is due to begin in {month}.",
    "{person2} said {org} would publish a full report within {weeks} weeks.",
    "Figures released on {day} showed a change of {pct} percent compared with last year.",
    "Residents of {place} gathered outside the town hall to follow the debate.",
    "The opposition called for an independent review of the costs of {thing}.",
    "{org} said a second consultation on {thing} would open in {month}.",
    "Officials in {place} expect the number of users to reach {n2} by {year}.",
]
_SYLLABLES = ["ka", "lo", "mir", "ten", "vas", "dor", "el", "bru", "san", "tor", "vel", "ni", "grad", "ost", "ber",
              "lin", "mar", "ova", "zel", "rik"]


def _names(rng: random.Random, count: int, parts: int) -> list[str]:
    out: set[str] = set()
    while len(out) < count:
        out.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(out)


# Bigger pools than the lists above, so a day's articles share entities without all meeting.
_POOL = random.Random(1016)
PLACES += _names(_POOL, 300, 3)
LAST += _names(_POOL, 300, 2)

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["January", "March", "May", "June", "September", "October"]


def article(rng: random.Random, i: int) -> tuple[str, str]:
    """(title, body) of one event."""
    topic = rng.choice(list(TOPICS))
    thing = rng.choice(TOPICS[topic])
    place = rng.choice(PLACES)
    org = rng.choice(ORGS)
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    person2 = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    fill = dict(org=org[0].upper() + org[1:], thing=thing, place=place, person=person, person2=person2,
                verb=rng.choice(VERBS), day=rng.choice(DAYS), n=rng.randint(2, 90) * 1000 + i,
                money=rng.randint(3, 900), years=rng.randint(2, 9), a=rng.randint(20, 40), b=rng.randint(5, 19),
                hours=rng.randint(2, 9), month=rng.choice(MONTHS), weeks=rng.randint(2, 12),
                pct=round(rng.uniform(0.5, 19.5), 1), n2=rng.randint(10, 500) * 100, year=rng.randint(2027, 2032))
    chosen = [SENTENCES[0]] + rng.sample(SENTENCES[1:], rng.randint(7, 12))
    body = " ".join(s.format(**fill).replace(fill["org"] + " ", fill["org"] + " ", 1) for s in chosen)
    paragraphs = [body]
    words = body.split(". ")
    if len(words) > 6:
        half = len(words) // 2
        paragraphs = [". ".join(words[:half]) + ".", ". ".join(words[half:])]
    title = f"{place}: {fill['org']} {fill['verb']} {thing} (report {i})"
    return title, "\n\n".join(paragraphs)


def write_articles(folder: Path, n: int, seed: int = 16, dup_rate: float = 0.0) -> list[Path]:
    """Write ``n`` article files (front matter with a title) into ``folder``; their paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    made: list[tuple[str, str]] = []
    for i in range(n):
        if made and rng.random() < dup_rate:
            title, body = rng.choice(made)
            body = body.replace(" said ", " stated ", 1)  # a wire copy, lightly edited
        else:
            title, body = article(rng, i)
            made.append((title, body))
        path = folder / f"a{i:05d}.txt"
        path.write_text(f"---\ntitle: \"{title}\"\noutlet: Synthetic {i % 7}\n---\n{body}\n", encoding="utf-8")
        paths.append(path)
    return paths
