"""Word lists, each written once. Stages combine them; none keeps a copy of its own.

Every list says what it is for; ``tests/test_lexicon.py`` checks the lists themselves
(lowercase, no overlap where the use forbids it, no accidental names).
"""

from __future__ import annotations

# Function words and the glue of news prose ("said", "according"): never content, never a
# name. Used by grounding (content terms), cleaning (language share, FAQ overlap) and, with
# the topic-free lists below, by clustering.
STOPWORDS = frozenset(
    """
    a about above after again against all also am amid an and any are as at be because been
    before being below between both but by can could did do does doing down during each even
    ever few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just may me might more most much must my no nor not of off on
    once only or other our ours out over own per same she should since so some still such than
    that the their theirs them themselves then there these they this those though through to too
    under until up upon us very was we were what when where whether which while who whom whose
    why will with within without would yet you your shall new many
    said say says told according
    """.split()
)

# Words that carry no event: calendar words, counting words and reporting words. Two
# articles share them whatever they report, so clustering ignores them (grounding does not:
# "Tuesday" or "three" in a key point must be in its source).
EVENT_NEUTRAL = frozenset(
    """
    year years week weeks day days time today yesterday tomorrow last late later least less
    like made make near now one two three four five six seven eight nine ten first
    second third people percent mr mrs ms reporters statement news report reported reports
    added including
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)

# Titles, ranks and roles written before a name: "Prime Minister Mette Frederiksen".
TITLE_WORDS = frozenset(
    """
    president prime minister secretary general chancellor premier king queen pope senator
    governor mayor envoy special press spokesperson spokesman spokeswoman ceo chief executive
    director former vice deputy foreign interior defence defense finance state minister's head
    leader official officials commissioner ambassador judge justice mr mrs ms dr sir lord
    gen. col. lt. rep. sen.
    """.split()
)

# Affiliations written before a title ("U.S. President", "EU Commissioner"): not names.
AFFILIATIONS = frozenset("u.s. us uk eu un nato".split())

# Byline role words after an author's name ("James Carter Senior News Editor").
BYLINE_ROLES = frozenset(
    """
    senior staff news editor correspondent reporter writer contributor chief political
    associate managing deputy business foreign special investigative desk columnist analyst
    producer intern fellow contributing editorial web digital journalist team online sports
    world health science tech
    """.split()
)

# Capitalized words of page furniture that are never anyone's name.
FURNITURE_WORDS = frozenset("read share related latest updated photo video".split())

# Small words that stay lowercase in a Title Case line.
TITLE_CASE_SMALL = frozenset(
    "a an the of and or in on at to for by with from as is vs de la le del van von his her its".split()
)

# Words that say what kind of place, not which one ("Izmir province" and "Izmir" are one place).
GENERIC_PLACE = frozenset(
    """
    province city region district county state republic capital area town village coast north
    south east west northern southern eastern western central the of
    """.split()
)

# Lowercase words inside a name ("Ursula von der Leyen", "Luiz Inácio Lula da Silva").
NAME_PARTICLES = frozenset("von van der den de del della di da dos du la le al bin ibn".split())

# Suffixes and codes that qualify the name before them ("Martin Luther King, Jr.", "Acme, Inc.").
NAME_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv inc inc. ltd ltd. llc plc ag sa co co.".split())

MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)
# Month name or abbreviation -> number ("sept" too).
MONTHS = {m: i + 1 for i, m in enumerate(MONTH_NAMES)} | {m[:3]: i + 1 for i, m in enumerate(MONTH_NAMES)} | {"sept": 9}
WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}

# Small counts written in words ("four people were killed") and their value.
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12}

# Abbreviations that never end a sentence (the segmenter occasionally splits after them).
NON_TERMINAL_ABBREVIATIONS = (
    "Mr Mrs Ms Dr Prof Gen Lt Col Maj Capt Sgt Adm Sen Rep Gov Pres Rev Hon St Mt Ft Jr Sr No Nos "
    "Vol Art Sec approx vs Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
).split()

# Nationality and regional adjectives written before a title ("Danish Prime Minister").
# A list, not a suffix rule: "-i" and "-an" also end Dubai, Nairobi, Goldman and Sudan.
DEMONYMS = frozenset(
    """
    afghan albanian algerian american andorran angolan argentine argentinian armenian australian
    austrian azerbaijani bahamian bahraini bangladeshi barbadian belarusian belgian belizean
    beninese bhutanese bolivian bosnian botswanan brazilian british bruneian bulgarian burkinabe
    burmese burundian cambodian cameroonian canadian chadian chilean chinese colombian congolese
    croatian cuban cypriot czech danish djiboutian dominican dutch ecuadorian egyptian
    emirati english eritrean estonian ethiopian european fijian filipino finnish french gabonese
    gambian georgian german ghanaian greek grenadian guatemalan guinean guyanese haitian honduran
    hungarian icelandic indian indonesian iranian iraqi irish israeli italian ivorian jamaican
    japanese jordanian kazakh kenyan korean kosovar kuwaiti kyrgyz lao laotian latvian lebanese
    liberian libyan lithuanian luxembourgish macedonian malagasy malawian malaysian maldivian
    malian maltese mauritanian mauritian mexican moldovan monegasque mongolian montenegrin
    moroccan mozambican namibian nepalese nepali nicaraguan nigerian nigerien norwegian omani
    pakistani palestinian panamanian paraguayan persian peruvian polish portuguese qatari
    romanian russian rwandan salvadoran samoan saudi scottish senegalese serbian
    singaporean slovak slovakian slovenian somali spanish sudanese surinamese swedish
    swiss syrian taiwanese tajik tanzanian thai togolese tongan trinidadian tunisian turkish
    turkmen ugandan ukrainian uruguayan uzbek venezuelan vietnamese welsh yemeni zambian
    zimbabwean kurdish arab catalan basque flemish tibetan
    """.split()
)


def is_demonym(word: str) -> bool:
    """'Ukrainian', 'Danish', 'Japanese', 'Israeli': a nationality word before a title."""
    return word[:1].isupper() and word.casefold().strip(",") in DEMONYMS


def is_title_word(word: str) -> bool:
    """A title, rank or affiliation written before a name ('President', 'U.S.', 'Danish')."""
    w = word.casefold().strip(",")
    return w in TITLE_WORDS or w in AFFILIATIONS or is_demonym(word)
