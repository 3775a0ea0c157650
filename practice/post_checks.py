"""Checks a draft post before anyone sees it: plain functions over text, no database.

Each check looks for one thing and explains itself in a message a learner can act on. The rules,
precisely (the tests in tests/practice/test_post_checks.py hold them):

- over_limit: more characters than the network allows (counted as the network counts them).
- too_many_hashtags: more hashtags than the network's guidance.
- link_without_context: a link (attached or in the text) with fewer than 8 words of the
  author's own around it (links, hashtags and @mentions don't count as words).
- link_not_clickable: a URL typed into the text of a network where links in text aren't clickable.
- missing_disclosure: the post signals a commercial connection (sponsored, gifted or sent for
  free, affiliate, commission, paid partnership, a discount code or "use my code", #sp/#spon/
  #collab/#partner) but carries no clear label ("Ad |" or "Ad:" starting a line, #ad, #advert,
  #sponsored, "paid partnership", "sponsored by"; for a gift without payment, saying so plainly
  counts: "Gifted by Kestrel", "Kestrel sent me these for free", not "these gifted boots"). disclosure_below_fold: the label only comes
  after the network's "…more" cut.
- banned_term: a word or phrase on the organisation's list (whole words, any case).
- shouting: three or more ALL-CAPS words in a row ("BUY IT NOW"; numbers and punctuation
  between them don't break the run), or more than half the letters in capitals (12 letters or
  more, known acronyms aside). Known acronyms (KPI, ROI, CTR, NHS, CEO, SEO…: ACRONYMS) are
  never shouting, so "KPI, ROI, CTR" passes; the rule doesn't depend on a word's length.
- no_call_to_action: a post of 20 words or more that neither asks the reader a question nor
  tells them what to do next (a phrase such as "sign up", "read", "let me know", "link in bio").
- engagement_bait: the post ends on a question of one or two words ("Agree?", "Thoughts?"), or
  asks for reactions as a trick ("like if", "comment YES", "tag a friend").
- image_without_alt: an image with no alt text. weak_alt_text: alt text under four words, that
  starts "image of"/"picture of"/"photo of", or contains hashtags.
- emoji_only_line: a line with nothing but emoji. emoji_run: three or more emoji in a row.
- hashtag_not_camelcase: a hashtag of six letters or more, not in CamelCase, that splits into
  two or more dictionary words (#repairdays → #RepairDays) and isn't one word itself.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import previews
from .networks import LINK_NOT_CLICKABLE, Network

PROBLEM, WARNING, TIP = "problem", "warning", "tip"
LEVEL_ORDER = {PROBLEM: 0, WARNING: 1, TIP: 2}

MIN_CONTEXT_WORDS = 8
MIN_WORDS_FOR_CTA = 20
MIN_ALT_WORDS = 4
MIN_CAMELCASE_LETTERS = 6

# The lessons that teach each check, as (track slug, lesson slug), best first. A lesson that
# doesn't exist (or isn't published) is skipped; with none left, the message has no link.
NEWCOMER_ACCESSIBILITY = ("newcomer", "formats-specs-accessibility")
NEWCOMER_ADAPTING = ("newcomer", "one-message-many-networks")
DISCLOSURE = (
    ("newcomer", "disclosure-and-paid-partnerships"),
    ("strategy-lead", "disclosure-and-confidentiality-clauses"),
)
LESSONS: dict[str, tuple[tuple[str, str], ...]] = {
    "over_limit": (NEWCOMER_ADAPTING, ("newcomer", "network-by-network")),
    "too_many_hashtags": (("newcomer", "network-by-network"), NEWCOMER_ADAPTING),
    "link_without_context": (NEWCOMER_ADAPTING,),
    "link_not_clickable": (NEWCOMER_ADAPTING,),
    "missing_disclosure": DISCLOSURE,
    "disclosure_below_fold": DISCLOSURE,
    "banned_term": (
        ("newcomer", "personal-accounts-and-confidentiality"),
        ("strategy-lead", "disclosure-and-confidentiality-clauses"),
        ("executive", "what-never-to-post"),
    ),
    "shouting": (("newcomer", "reading-a-brand-style-guide"),),
    "no_call_to_action": (NEWCOMER_ADAPTING,),
    "engagement_bait": (
        ("executive", "from-draft-to-published-post"),
        ("newcomer", "how-feeds-decide"),
        ("executive", "shortcuts-that-backfire"),
    ),
    "image_without_alt": (NEWCOMER_ACCESSIBILITY,),
    "weak_alt_text": (NEWCOMER_ACCESSIBILITY,),
    "emoji_only_line": (NEWCOMER_ACCESSIBILITY,),
    "emoji_run": (NEWCOMER_ACCESSIBILITY,),
    "hashtag_not_camelcase": (NEWCOMER_ACCESSIBILITY,),
}


@dataclass(frozen=True)
class BannedWord:
    term: str
    reason: str = ""
    source: str = ""  # the organisation's name, for the message


@dataclass(frozen=True)
class Draft:
    network: Network
    text: str
    link_url: str = ""
    has_image: bool = False
    image_alt: str = ""


@dataclass(frozen=True)
class Finding:
    code: str
    level: str
    title: str
    message: str
    lesson_url: str = ""
    lesson_title: str = ""


# -- helpers -----------------------------------------------------------------------------


def _without_tokens(text: str) -> str:
    return previews.TOKEN_RE.sub(" ", text)


def own_words(text: str) -> list[str]:
    """The author's words: links, hashtags and @mentions removed."""
    return re.findall(r"[^\W\d_][\w'’-]*", _without_tokens(text))


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (
        code >= 0x1F000
        or 0x2600 <= code <= 0x27BF
        or 0x2300 <= code <= 0x23FF
        or 0x2B00 <= code <= 0x2BFF
        or code in (0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D)
    )


JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


def _emoji_only(line: str) -> bool:
    chars = [c for c in line if not c.isspace()]
    return (
        bool(chars)
        and all(_is_emoji(c) or c in JOINERS for c in chars)
        and any(map(_is_emoji, chars))
    )


def longest_emoji_run(text: str) -> int:
    """The most emoji in a row (spaces between them don't break a row; a ZWJ sequence is one)."""
    best = run = 0
    previous = ""
    for char in text:
        if _is_emoji(char):
            if previous != "\u200d" and not (0x1F3FB <= ord(char) <= 0x1F3FF):
                run += 1
                best = max(best, run)
        elif char in JOINERS or char in " \t":
            pass
        else:
            run = 0
        previous = char
    return best


@cache
def dictionary() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "hashtag_words.txt"
    with path.open(encoding="utf-8") as lines:
        return frozenset(w for line in lines if (w := line.strip()) and not w.startswith("#"))


SHORT_PARTS = frozenset(
    {
        "ai",
        "hr",
        "uk",
        "us",
        "eu",
        "my",
        "we",
        "go",
        "it",
        "to",
        "on",
        "up",
        "in",
        "at",
        "no",
        "do",
        "be",
    }
)
# Parts that make a split meaningless: #sustainability is not "sustain ability".
SUFFIX_PARTS = frozenset(
    {
        "ability",
        "able",
        "ship",
        "less",
        "ness",
        "hood",
        "ward",
        "wards",
        "wise",
        "ism",
        "ist",
        "ity",
        "ing",
        "ion",
        "ions",
        "ment",
        "ments",
        "ful",
        "ally",
    }
)


def split_words(letters: str) -> list[str] | None:
    """`letters` split into the fewest dictionary words (at least two), or None."""
    words = dictionary()
    if letters in words:
        return None
    size = len(letters)
    best: list[list[str] | None] = [None] * (size + 1)
    best[0] = []
    for end in range(1, size + 1):
        for start in range(max(0, end - 15), end):
            part = letters[start:end]
            if best[start] is None or part in SUFFIX_PARTS:
                continue
            if (len(part) >= 3 and part in words) or part in SHORT_PARTS:
                candidate = [*best[start], part]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    result = best[size]
    return result if result and len(result) >= 2 else None


def camelcase_suggestion(tag: str) -> str | None:
    """#RepairDays for "repairdays"; None when the tag is fine (CamelCase, or one word)."""
    letters_only = re.sub(r"[\d_]+", " ", tag).split()
    if not letters_only or sum(len(p) for p in letters_only) < MIN_CAMELCASE_LETTERS:
        return None
    if any(c.isupper() for c in tag[1:]) and not tag.isupper():
        return None  # already CamelCase (or at least marks its word breaks)
    suggestion, changed = [], False
    for chunk in re.split(r"([\d_]+)", tag):
        parts = split_words(chunk.lower()) if chunk.isalpha() else None
        if parts:
            suggestion.append(
                "".join(
                    p.upper() if p in {"ai", "hr", "uk", "us", "eu"} else p.capitalize()
                    for p in parts
                )
            )
            changed = True
        else:
            suggestion.append(chunk)
    return "#" + "".join(suggestion) if changed else None


def _finding(code: str, level: str, title: str, message: str) -> Finding:
    return Finding(code=code, level=level, title=title, message=message)


# -- the checks --------------------------------------------------------------------------


def check_limit(draft: Draft, banned) -> Iterable[Finding]:
    count = previews.character_count(draft.text, draft.network)
    if count > draft.network.limit:
        over = count - draft.network.limit
        yield _finding(
            "over_limit",
            PROBLEM,
            "Over the limit",
            f"This {draft.network.kind} is {count:,} characters; {draft.network.name} allows "
            f"{draft.network.limit:,}. Cut {over:,} character{'s' if over != 1 else ''}: "
            "rewrite for this network rather than chopping the end off.",
        )


def check_hashtags(draft: Draft, banned) -> Iterable[Finding]:
    tags = previews.hashtags(draft.text)
    if len(tags) > draft.network.max_hashtags:
        yield _finding(
            "too_many_hashtags",
            WARNING,
            "Too many hashtags",
            f"{len(tags)} hashtags; the guidance for {draft.network.name} is "
            f"{draft.network.max_hashtags} at most. {draft.network.hashtag_note} "
            "Keep the ones people actually search or follow.",
        )


def check_link_context(draft: Draft, banned) -> Iterable[Finding]:
    if not (draft.link_url or previews.urls(draft.text)):
        return
    words = len(own_words(draft.text))
    if words < MIN_CONTEXT_WORDS:
        yield _finding(
            "link_without_context",
            WARNING,
            "A link without context",
            f"The post is a link with {words} word{'s' if words != 1 else ''} of your own. Say "
            "why it's worth a click: what the reader learns or gets, in a sentence or two.",
        )


def check_link_clickable(draft: Draft, banned) -> Iterable[Finding]:
    if draft.network.link == LINK_NOT_CLICKABLE and previews.urls(draft.text):
        yield _finding(
            "link_not_clickable",
            WARNING,
            "This link won't be clickable",
            f"{draft.network.link_note} Tell readers where to find the link instead.",
        )


CONNECTION_RE = re.compile(
    r"(?<![\w#])(?:(?<!not )(?<!un)sponsored|paid partnership|paid (?:me|us)|affiliate(?: links?)?"
    r"|(?:earn|get|receive|make)s? (?:a )?commission|(?:discount|promo) code"
    r"|(?:use|with|enter) (?:my |our |the )?code|pr (?:package|sample)|press sample)\b"
    # A discount code itself: "code HIKE10", "HIKE10 for 10% off" (the code in capitals).
    r"|\bcode:? (?-i:[A-Z][A-Z0-9]{3,})\b|\b(?-i:[A-Z][A-Z0-9]{3,}) (?:for|gets?|saves?) \d+ ?% off\b"
    r"|#(?:sp|spon|collab|partner|\w+partner|affiliate|sponsored|gifted)\b",
    re.IGNORECASE,
)
# Something given for free: a commercial connection even without payment.
GIFT_RE = re.compile(
    r"(?<![\w#])(?:gifted|gift from)\b"
    r"|\b(?:sent|gave|given|received|got)\b[^.!?\n]{0,40}?\bfor free\b|\bfree of charge\b",
    re.IGNORECASE,
)
# A gift said plainly, which discloses it: "Gifted by Kestrel", "Gifted:", "(gifted)", "#gifted"
# is vague (CONNECTION_RE), "Kestrel sent me these for free". "These gifted boots" only hints.
GIFT_LABEL_RE = re.compile(
    r"(?:^|\n)[ \t]*[\[(]?gifted\b[\])]?[ \t]*(?:[|:\-–—·]|by\b|from\b)"
    r"|\bgift(?:ed)? (?:by|from)\b|[\[(]gifted[\])]"
    r"|\b(?:sent|gave|given|received|got)\b[^.!?\n]{0,40}?\bfor free\b|\bfree of charge\b",
    re.IGNORECASE,
)
LABEL_RE = re.compile(
    r"(?:^|\n)[ \t]*[\[(]?(?:ad|advert|advertisement)\b[\])]?[ \t]*[|:\-–—·]"
    r"|(?:^|\n)[ \t]*[\[(](?:ad|advert|advertisement)[\])]"
    r"|#(?:ad|advert|advertisement|sponsored|paidpartnership)\b"
    r"|\bpaid partnership\b|\bsponsored by\b|\bsponsored post\b|\bthis (?:post|video) is sponsored\b",
    re.IGNORECASE,
)
VAGUE_RE = re.compile(r"#(?:sp|spon|collab|partner|\w+partner)\b", re.IGNORECASE)


def check_disclosure(draft: Draft, banned) -> Iterable[Finding]:
    text = previews.normalise(draft.text)
    paid = list(CONNECTION_RE.finditer(text))
    gifts = list(GIFT_RE.finditer(text))
    if not paid and not gifts:
        return
    labels = [m.start() for m in LABEL_RE.finditer(text)]
    if not paid:  # "Gifted by Kestrel, no payment" is the label
        labels += [m.start() for m in GIFT_LABEL_RE.finditer(text)]
    if not labels:
        vague = [m.group(0) for m in VAGUE_RE.finditer(text)]
        signal = (paid or gifts)[0].group(0)
        hint = (
            f" {', '.join(vague)} {'is' if len(vague) == 1 else 'are'} too vague to count."
            if vague
            else ""
        )
        yield _finding(
            "missing_disclosure",
            PROBLEM,
            "Disclosure missing",
            f"The post mentions a commercial connection (“{signal}”) but has no clear label.{hint} "
            "Start with “Ad |” or put #ad at the top, in plain words, and switch on the "
            "network's paid-partnership label too.",
        )
        return
    fold = previews.fold_at(text, draft.network)
    if fold is not None and min(labels) >= fold:
        yield _finding(
            "disclosure_below_fold",
            WARNING,
            "Disclosure below the fold",
            f"The disclosure only appears after “{draft.network.more_label}”, where most readers "
            "never look. Move it to the start of the post.",
        )


def banned_pattern(term: str) -> re.Pattern:
    words = r"\s+".join(re.escape(word) for word in term.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def check_banned(draft: Draft, banned: Iterable[BannedWord]) -> Iterable[Finding]:
    for word in banned:
        if word.term.strip() and banned_pattern(word.term).search(draft.text):
            whose = f"{word.source}'s" if word.source else "your organisation's"
            reason = f" Why: {word.reason.rstrip('.')}." if word.reason else ""
            yield _finding(
                "banned_term",
                PROBLEM,
                f"“{word.term}” can't be posted",
                f"“{word.term}” is on {whose} list of words not to use in public.{reason} "
                "Take it out, or ask before you post.",
            )


# Capitals that name something rather than raise the voice. A word in capitals that isn't
# here counts toward shouting, however short ("BUY IT NOW" shouts as "SHOP NOW TODAY" does);
# acronyms that are also words ("IT", "US", "AM") are left out for that reason.
# fmt: off
ACRONYMS = frozenset([
    "AI", "API", "AR", "B2B", "B2C", "BBC", "CEO", "CFO", "CMO", "COO", "CPC", "CPM", "CRM",
    "CSR", "CSS", "CTA", "CTO", "CTR", "CV", "DEI", "DIY", "DM", "ESG", "EU", "EV", "FAQ", "FYI",
    "GDPR", "HQ", "HR", "HTML", "IPO", "KPI", "LGBTQ", "LLM", "NASA", "NATO", "NGO", "NHS", "OKR",
    "PDF", "PR", "QA", "QR", "ROI", "RSVP", "SAAS", "SEO", "SME", "SMS", "SQL", "TBC", "TV",
    "UGC", "UI", "UK", "USA", "UX", "VIP", "VR",
])
# fmt: on


def _capitals(word: str) -> str:
    """ "shout" for a word in capitals, "acronym" for a known one, "" otherwise."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2 or not all(c.isupper() for c in letters):
        return ""
    return "acronym" if word in ACRONYMS else "shout"


def check_shouting(draft: Draft, banned) -> Iterable[Finding]:
    words = own_words(draft.text)
    run = longest_run = 0
    for word in words:
        run = run + 1 if _capitals(word) == "shout" else 0
        longest_run = max(longest_run, run)
    letters = [c for w in words if _capitals(w) != "acronym" for c in w if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    mostly_caps = len(letters) >= 12 and upper > len(letters) / 2
    if longest_run >= 3 or mostly_caps:
        yield _finding(
            "shouting",
            WARNING,
            "ALL CAPS reads as shouting",
            "Several words in capitals read as shouting, are harder to read, and some screen "
            "readers spell them out letter by letter. Use sentence case and let the words carry "
            "the emphasis.",
        )


CTA_RE = re.compile(
    r"\b(?:link in (?:bio|the comments|comments)|let (?:me|us) know|sign up|learn more|find out"
    r"|read (?:more|the|it|our|my)|click|tap|swipe|register|apply|join|book|rsvp|visit|download"
    r"|watch|listen|subscribe|follow|share|save|comment|reply|tell (?:me|us)|dm|message (?:me|us)"
    r"|get in touch|shop|order|try|come (?:and|along|by|to)|drop (?:by|in|me|us)|bring|vote"
    r"|see (?:you|more|the|it)|details (?:at|in|below|here)|more at|check (?:out|it))\b",
    re.IGNORECASE,
)


def check_call_to_action(draft: Draft, banned) -> Iterable[Finding]:
    if len(own_words(draft.text)) < MIN_WORDS_FOR_CTA:
        return
    if "?" in _without_tokens(draft.text) or CTA_RE.search(_without_tokens(draft.text)):
        return
    yield _finding(
        "no_call_to_action",
        TIP,
        "No call to action",
        "The post neither asks the reader anything nor tells them what to do next. Pick one "
        "action (reply, save it, read the guide, visit a store) and say it plainly.",
    )


BAIT_RE = re.compile(
    r"\b(?:like (?:this )?if|share (?:this )?if|comment ['\"“]?(?:yes|below if)|type ['\"“]?(?:yes|amen)"
    r"|tag (?:a friend|someone|a colleague|three|3))\b",
    re.IGNORECASE,
)


def check_engagement_bait(draft: Draft, banned) -> Iterable[Finding]:
    text = _without_tokens(previews.normalise(draft.text))
    questions = re.findall(r"[^.!?\n]*\?", text)
    tail = text[text.rfind("?") + 1 :] if questions else ""
    short_ending = (
        bool(questions)
        and not re.search(r"[^\W_]", tail)  # nothing but emoji, tags or spaces after it
        and 0 < len(re.findall(r"[^\W\d_]+", questions[-1])) <= 2
    )
    if short_ending or BAIT_RE.search(text):
        yield _finding(
            "engagement_bait",
            WARNING,
            "Engagement bait",
            "A tacked-on “Agree?” or “like if…” asks for reactions rather than a real answer, "
            "and feeds demote it. Ask a specific question you genuinely want answered, or none.",
        )


ALT_OPENERS = re.compile(r"^\s*(?:an? )?(?:image|picture|photo|photograph|graphic|img) of\b", re.I)


def check_alt_text(draft: Draft, banned) -> Iterable[Finding]:
    if not draft.has_image:
        return
    alt = draft.image_alt.strip()
    if not alt:
        yield _finding(
            "image_without_alt",
            PROBLEM,
            "Image without alt text",
            "Describe the image in a sentence or two for people using screen readers: what "
            "matters in it for this post, including any words it shows.",
        )
        return
    if len(own_words(alt)) < MIN_ALT_WORDS or ALT_OPENERS.search(alt) or "#" in alt:
        yield _finding(
            "weak_alt_text",
            WARNING,
            "Alt text needs more",
            "Good alt text is a sentence or two saying what matters in the image. Skip “image "
            "of” (screen readers already say it's an image) and leave hashtags out.",
        )


def check_emoji(draft: Draft, banned) -> Iterable[Finding]:
    text = previews.normalise(draft.text)
    if any(_emoji_only(line) for line in text.split("\n")):
        yield _finding(
            "emoji_only_line",
            WARNING,
            "A line of only emoji",
            "Screen readers read each emoji's name aloud, so a line of emoji becomes a string "
            "of words like “rocket rocket fire”. Use words, and emoji sparingly beside them.",
        )
    if longest_emoji_run(text) >= 3:
        yield _finding(
            "emoji_run",
            WARNING,
            "Three or more emoji in a row",
            "Three emoji in a row is a sentence of noise for a screen reader. Keep one.",
        )


def check_camelcase(draft: Draft, banned) -> Iterable[Finding]:
    fixes = []
    for tag in dict.fromkeys(previews.hashtags(draft.text)):
        suggestion = camelcase_suggestion(tag)
        if suggestion:
            fixes.append(f"#{tag} → {suggestion}")
    if fixes:
        yield _finding(
            "hashtag_not_camelcase",
            WARNING,
            "Hashtags in CamelCase",
            "Capitalise each word of a multi-word hashtag so screen readers read the words "
            f"(and everyone reads them faster): {'; '.join(fixes)}. (If a tag is really one "
            "word, leave it.)",
        )


CHECKS: tuple[Callable[[Draft, Iterable[BannedWord]], Iterable[Finding]], ...] = (
    check_limit,
    check_banned,
    check_disclosure,
    check_alt_text,
    check_hashtags,
    check_link_context,
    check_link_clickable,
    check_shouting,
    check_engagement_bait,
    check_emoji,
    check_camelcase,
    check_call_to_action,
)


def run_checks(draft: Draft, *, banned: Iterable[BannedWord] = ()) -> list[Finding]:
    """Every finding for `draft`, problems first. An empty draft has none."""
    if not previews.normalise(draft.text):
        return []
    banned = tuple(banned)
    found = [finding for check in CHECKS for finding in check(draft, banned)]
    return sorted(found, key=lambda f: LEVEL_ORDER[f.level])
