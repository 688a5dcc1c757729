"""The furniture classifier: which paragraphs of a page are not the article.

Every unit (one paragraph) is judged by generic rules over its own features and its
neighbours' (see :mod:`briefgen.sources.clean` for the design and the measured figures).
:func:`line_rule` judges a unit on its own, :func:`context_rules` by the units around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefgen.text.lexicon import TITLE_CASE_SMALL
from briefgen.text.tokens import content_words, tokens


@dataclass
class Unit:
    text: str  # inline-normalized text of one paragraph
    label: str = "body"  # body | furniture | title | byline | dateline
    reason: str = ""
    sep_hint: bool = False  # a wide gap (NBSP, 2+ spaces) followed a leading label


# ---------------------------------------------------------------------------------------
# features
_SENT_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_QUOTES = re.compile(r"[\"“”„«»]")


def title_case_share(words: list[str]) -> float:
    content = [w for w in words if w.lower() not in TITLE_CASE_SMALL]
    if not content:
        return 0.0
    return sum(1 for w in content if w[:1].isupper() or w[:1].isdigit()) / len(content)


def ends_sentence(text: str) -> bool:
    return bool(_SENT_END.search(text))


# ---------------------------------------------------------------------------------------
# generic furniture patterns (matched on the casefolded unit, leading bullets removed)
_SOCIAL = {"share", "this", "article", "story", "news", "post", "page", "on", "via", "tweet", "email", "e-mail",
           "mail", "print", "copy", "link", "facebook", "twitter", "x", "linkedin", "whatsapp", "telegram",
           "reddit", "pinterest", "messenger", "flipboard", "threads", "bluesky", "save", "the", "with",
           "friends", "your", "kindly", "please", "now", "it", "us", "and", "or", "to", "with", "a", "friend", "click",
           "opens", "in", "new", "window"}
_SOCIAL_CORE = {"share", "tweet", "facebook", "twitter", "whatsapp", "linkedin", "email", "print", "telegram"}
_RELATED = re.compile(
    r"^(?:read (?:also|more|next)|also read|see also|related(?: news| articles?| stories| posts?| content|"
    r" coverage| reading| topics)?|more (?:news|stories|articles)(?: from [\w ]{1,30})?|you (?:may|might) (?:also )?"
    r"(?:like|be interested in|have missed)|recommended(?: for you| stories| reading)?|trending(?: now| news|"
    r" stories| topics)?|latest(?: news| stories| posts| articles| updates| headlines)?|most (?:read|popular|"
    r"viewed|shared)|popular (?:news|posts|stories)|(?:do not|don'?t) miss|must read|editor'?s picks?|"
    r"top (?:stories|news|headlines)|further reading|more on this story|(?:previous|next|older|newer) "
    r"(?:article|post|story))\b"
)
_COMMENTS = re.compile(
    r"\b(?:leave a (?:reply|comment|response)|post (?:a )?comment|add (?:a )?comment|join the discussion|"
    r"please enter your (?:comment|name|email)|your email address will not be published|"
    r"required fields are marked|save my name|cancel reply|notify me of (?:new|follow-up)|"
    r"comment data is processed|uses akismet|log ?in to (?:comment|reply)|no comments yet|"
    r"be the first to comment|comments are closed|view comments|show comments)\b|^\d*\s*comments?$"
)
# "disable your ad blocker", not "disabling adaptive cruise control" or "disabled the administrator".
_ADBLOCK = re.compile(r"\bad ?block(?:er|ing)?\b|\bdisabl\w* (?:your |the |an? )?ads?\b|\bwhitelist(?:ing)? (?:us|our)")
_COOKIE = re.compile(r"\bcookies?\b")
_COOKIE_CTX = re.compile(r"\b(?:we use|uses|accept|consent|preferences|settings|policy|by (?:continuing|using)|"
                         r"your experience|reject|manage)\b")
# "Follow <someone> on <platform>": a pitch when it is the reader who is told to (below).
_FOLLOW = (r"follow [\w'’ ]{1,40} on (?:google news|instagram|twitter|x|facebook|telegram|whatsapp|tiktok|youtube|"
           r"threads|bluesky|linkedin)\b")
# A pitch to the reader ("Sign up for our newsletter", "Subscribe now"), not news of someone
# who signs up or subscribes ("Haaland is set to sign up for two more years").
_NEWSLETTER = re.compile(r"\bnewsletters?\b|^(?:sign up|subscribe)\b|\b(?:sign up|subscribe) (?:for|to) (?:our|my|"
                         r"the (?:weekly|daily|free|monthly))\b|"
                         r"\bsubscribe (?:now|today|here)\b|\bin(?:to)? your inbox\b|\bfollow us\b|"
                         r"\b" + _FOLLOW + r"|\b(?:on|download|get) our (?:\w+ )?app\b|"
                         r"\bsupport (?:our |independent )?(?:\w+ )?journalism\b|\b(?:monthly|one-off) donation\b|"
                         r"\bjoin our \w+ (?:channel|group|community)\b|\bdownload our (?:\w+ )?app\b")
# "Follow Danube Herald English on Telegram and WhatsApp for more news": a line that opens with the
# imperative and names a platform is a pitch even without "our" or "you" (news opens with its subject).
_FOLLOW_ON = re.compile("^" + _FOLLOW)
_NOTIFY = re.compile(r"\b(?:get|enable|allow|turn on|receive) (?:push |browser |instant |breaking news )?"
                     r"(?:notifications?|alerts)\b|\bno,? thanks\b|\byes,? please\b")
_AD_LINE = re.compile(r"^(?:advert\w*|sponsored(?: content| links?)?|ads?|promoted(?: content)?|paid content|"
                      r"story continues below(?: advertisement)?|continue reading below|"
                      r"scroll (?:down )?to continue(?: with content)?|skip advert\w*)$")
_BOX = re.compile(r"^(?:did you know|pro tip|quick tip|top tip|fun fact|tip of the day)\s*[?:!.-]")
_FLAG = re.compile(r"^(?:breaking(?: news)?|exclusive|developing(?: story)?|live(?: updates)?|just in|"
                   r"\d+\s*min(?:ute)?s? read|listen to (?:this )?article|print this (?:article|page)|like this|"
                   r"(?:like )?loading\W*)$")
_TAGS = re.compile(r"^(?:(?:tags?|categories|category|topics|keywords)\s*:|(?:posted|filed) (?:in|under)\b)")
_PHOTO = re.compile(r"^(?:photo|image|picture|illustration|video)(?: credit)?\s*[:/|]|^\((?:photo|image)s? (?:by|:)")
_AGENCY = re.compile(
    r"^(?:©|\(c\)|copyright\b)|\ball rights reserved\b|\bmay not be (?:published|reproduced|redistributed)\b|"
    r"^\(?(?:reporting|writing|editing|additional reporting|compiled) by\b[^.]*(?:\)|$)|"
    r"^this (?:article|story|content) (?:was|is|has been) (?:originally )?(?:published|produced|"
    r"republished|syndicated|generated|edited)|\bfrom a (?:wire|syndicated) (?:agency )?feed\b"
)
_AGENCY_SUB = re.compile(r"\bsubscri(?:ber|bers|ption|ptions|be)\b")
# Subscription terms of a wire service, not a company's subscribers ("subscriber growth was
# strongest where it offered cheaper ad-supported options").
_AGENCY_SUB_CTX = re.compile(r"\b(?:contact us|news service|wire service|"
                             r"redistribut\w*|licens\w*|broadcasting system)\b")
_ENGAGE = re.compile(
    r"\b(?:join the (?:conversation|discussion|debate)|let us know|tell us (?:what|your|in)|share your "
    r"(?:thoughts|views|opinion|story|experience)|what (?:are|is) your (?:thoughts|view|views|opinion|take)|"
    r"what do you think|(?:write|tell|let) us\b.{0,20}\bin the comments?|in the comments?(?: section)? below|"
    r"comment below|sound off|have your say)\b"
)
# Page furniture of press releases and wire copy: release labels, contacts, "About X" boxes,
# contributor lines, disclaimers, video and audio links, section headings of SEO pages.
_RELEASE = re.compile(
    r"^(?:for immediate release|information note|notes? (?:to|for) editors|media (?:contacts?|relations|"
    r"enquiries|inquiries)|press (?:office|contacts?|enquiries|inquiries)|for (?:more|further) information\b)"
)
_ABOUT_BOX = re.compile(r"^about (?:the |us\b)?[\w&.'’ -]{1,40}$")
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d ()-]{7,}\d")
_CONTRIBUTED = re.compile(
    r"\b(?:writers?|reporters?|correspondents?|journalists?|staff)\b[^.]{0,120}\bcontributed\b"
    r"(?: (?:to )?(?:this|the) (?:report|story|article|reporting))?\.?$"
)
_DISCLAIMER = re.compile(r"^disclaimer\b|\bis not (?:financial|investment|legal|medical|tax) advice\b")
_VIDEO = re.compile(r"^(?:watch|video|listen|audio|podcast)\s*:|\(\d{1,2}:\d{2}\)$")
_SECTION_HEAD = re.compile(
    r"^(?:key (?:takeaways|points|facts)|in this (?:article|story)|table of contents|contents|at a glance|"
    r"the bottom line|tl;?dr)\b\s*:?"
)
_LIVE_LABEL = re.compile(r"^live (?:coverage|updates?|blog)\b")
# A pointer to the outlet's live page ("Follow our live coverage of the jewel theft", "Read our
# live blog for the latest"): the reader told where to go, in the imperative.
_LIVE_POINTER = re.compile(r"^(?:follow|read|see|watch|get|join) (?:our|the) (?:latest )?live (?:coverage|updates?|"
                           r"blog|page|report(?:ing)?)\b")
# Asking the reader's opinion is engagement bait; other "you" questions may be explainer
# headings and are furniture only when nothing answers them.
_Q_OPINION = re.compile(r"\byou (?:think|believe|feel|agree|reckon)\b|\byour (?:thoughts|views?|opinion|take)\b|"
                        r"\bwould you (?:like|support|rather)\b")
_Q_YOU = re.compile(r"\byou\b|\byour\b")
_FAQ_HEAD = re.compile(r"^(?:frequently asked questions|faqs?|common questions|questions and answers|"
                       r"q ?& ?a|people also ask)\s*:?$")
_BREADCRUMB_SEP = re.compile(r"\s*(?:»|›|>|\||\s/\s)\s*")
_RUN_ON = re.compile(r"^(?:[A-Z][a-z]{1,15}){3,6}$")
FAQ_RESTATES = 0.5
# List bullets, and the ">" of a quoted (Markdown blockquote) box.
BULLET = re.compile(r"^(?:(?:[-*•·–]|>)\s+)+")


def unit_core(text: str) -> str:
    """Casefolded unit without bullet markers or decoration, for pattern matching."""
    t = BULLET.sub("", text).strip(" -–—_=*·•|:").casefold()
    return t.replace("’", "'")


def _is_share(core: str, words: list[str]) -> bool:
    lw = [w.lower() for w in words]
    return 0 < len(lw) <= 10 and all(w in _SOCIAL for w in lw) and any(w in _SOCIAL_CORE for w in lw)


def _is_breadcrumb(text: str) -> bool:
    parts = [p for p in _BREADCRUMB_SEP.split(text)]
    if len(parts) < 2 or any(not p.strip() for p in parts):
        return False
    first = len(tokens(parts[0]))
    if parts[0].strip().casefold() == "home":
        return True
    return len(parts) >= 3 and first <= 3 and all(len(tokens(p)) <= 4 for p in parts[:-1])


def _standalone_question(text: str, words: list[str]) -> bool:
    body = BULLET.sub("", text).strip()
    return (body.endswith("?") and not _QUOTES.search(body) and len(words) <= 35
            and not re.search(r"[.!?]\s+[A-Z]", body[:-1]))


def line_rule(u: Unit, pos: int, n: int) -> str | None:
    """The furniture kind of one unit judged alone, or None."""
    text, core = u.text, unit_core(u.text)
    words = tokens(text)
    nw = len(words)
    short = nw <= 12
    # Long units at the document's edges may be notices; in the middle they are prose. The
    # edges are a share of the document, so a short article is not all edge.
    edge = pos < min(4, max(1, n // 5)) or pos >= n - min(6, max(1, n // 4))
    if not core:
        return "decoration"
    if _AD_LINE.match(core) or _FLAG.match(core):
        return "label"
    if _is_share(core, words):
        return "share"
    if _is_breadcrumb(text) and nw <= 30:
        return "breadcrumb"
    if _RUN_ON.match(text) and " " not in text:
        return "section labels"
    m = _RELATED.match(core)
    if m and nw <= 30:
        rest = core[m.end():].strip()
        if (not rest or (nw <= 6 and not ends_sentence(text)) or u.sep_hint or re.match(r"^[:|»\-–—]", rest)
                or re.match(r"^(?:on|at|in|from) [\w'’ .-]{1,40}:", rest)):
            return "related link"
    if _COMMENTS.search(core) and nw <= 30:
        return "comment form"
    if _ENGAGE.search(core) and nw <= 40 and not _QUOTES.search(text):
        return "reader engagement"
    if _BOX.match(core) and nw <= 60:
        return "tip box"
    if _TAGS.match(core) and nw <= 25:
        return "tags"
    if _PHOTO.match(core) and nw <= 25:
        return "photo credit"
    if _VIDEO.search(core) and nw <= 25:
        return "video link"
    if _SECTION_HEAD.match(core) and nw <= 20:
        return "section heading"
    if _LIVE_LABEL.match(core) and nw <= 8:
        return "label"
    if _LIVE_POINTER.match(core) and nw <= 25:
        return "live-page pointer"
    if (_RELEASE.match(core) or (_ABOUT_BOX.match(core) and nw <= 6)) and nw <= 30:
        return "press-release furniture"
    if _CONTACT.search(core) and nw <= 15:
        return "contact line"
    if _CONTRIBUTED.search(core) and nw <= 30:
        return "contributor line"
    if _DISCLAIMER.search(core) and nw <= 40:
        return "disclaimer"
    if (short or edge) and nw <= 60 and not _QUOTES.search(text):
        if _ADBLOCK.search(core):
            return "ad-block notice"
        if _COOKIE.search(core) and _COOKIE_CTX.search(core):
            return "cookie banner"
        if _NOTIFY.search(core):
            return "notification prompt"
        if _FOLLOW_ON.match(core) or (_NEWSLETTER.search(core) and (short or re.search(r"\b(?:our|your|you)\b", core))):
            return "newsletter pitch"
    if pos >= n - 4 or short:
        if _AGENCY.search(core) or (_AGENCY_SUB.search(core) and _AGENCY_SUB_CTX.search(core)):
            return "agency boilerplate"
    return None


def context_rules(units: list[Unit]) -> None:
    """Rules that look at neighbours: link lists, FAQ blocks, reader-question runs, the tail."""
    n = len(units)
    # Items under a link-list header ("Related", "You may also like") are headlines: short,
    # unpunctuated or very short. Prose resumes with the first long sentence.
    i = 0
    while i < n:
        u = units[i]
        i += 1
        m = _RELATED.match(unit_core(u.text))
        if u.label != "furniture" or not m or unit_core(u.text)[m.end():].strip(" :"):
            continue
        while i < n and units[i].label in ("body", "furniture"):
            v = units[i]
            w = tokens(v.text)
            if v.label == "body":
                if len(w) > 20 or (ends_sentence(v.text) and len(w) > 14):
                    break
                v.label, v.reason = "furniture", "link list item"
            i += 1

    # FAQ blocks are furniture only when they restate the article.
    for i, u in enumerate(units):
        if u.label == "body" and _FAQ_HEAD.match(unit_core(u.text)):
            block: list[int] = []
            j = i + 1
            while j < n and units[j].label == "body" and (
                "?" in units[j].text[:250] or (block and units[block[-1]].text.rstrip().endswith("?"))
            ):
                block.append(j)
                j += 1
            if not block:
                continue
            rest = set()
            for k, v in enumerate(units):
                if v.label == "body" and k not in block and k != i:
                    rest |= content_words(v.text)
            faq = set().union(*(content_words(units[k].text) for k in block))
            overlap = len(faq & rest) / len(faq) if faq else 1.0
            if overlap >= FAQ_RESTATES:
                for k in [i, *block]:
                    units[k].label, units[k].reason = "furniture", f"FAQ restating the article ({overlap:.0%})"

    # Questions put to the reader: "do you think…", or a run of standalone questions next to
    # other engagement furniture (an article never stacks two questions without answers).
    for i, u in enumerate(units):
        if u.label != "body" or not _standalone_question(u.text, tokens(u.text)):
            continue
        nxt = units[i + 1] if i + 1 < n else None
        answered = nxt is not None and nxt.label == "body" and ends_sentence(nxt.text) \
            and not nxt.text.rstrip().endswith("?") and len(tokens(nxt.text)) >= 8
        core = unit_core(u.text)
        if _Q_OPINION.search(core) or (_Q_YOU.search(core) and not answered):
            u.label, u.reason = "furniture", "question to the reader"
    changed = True
    while changed:
        changed = False
        for i, u in enumerate(units):
            if u.label != "body" or not _standalone_question(u.text, tokens(u.text)):
                continue
            nbrs = [units[k] for k in (i - 1, i + 1) if 0 <= k < n]
            if any(v.label == "furniture" and v.reason in ("question to the reader", "reader engagement")
                   for v in nbrs):
                u.label, u.reason = "furniture", "question to the reader"
                changed = True

    # The tail: once furniture starts after the last paragraph of prose, short unpunctuated
    # units there are more of it (site menus, link titles).
    last_prose = max((k for k, v in enumerate(units) if v.label == "body" and len(tokens(v.text)) >= 15
                      and ends_sentence(v.text)), default=-1)
    seen_furniture = False
    for k in range(last_prose + 1, n):
        v = units[k]
        if v.label == "furniture":
            seen_furniture = True
        elif seen_furniture and v.label == "body" and len(tokens(v.text)) <= 12 and not ends_sentence(v.text):
            v.label, v.reason = "furniture", "tail menu"
