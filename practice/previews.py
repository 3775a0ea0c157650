"""How a draft will look on a network: counting, the "…more" fold, highlighted hashtags,
@mentions and links, and the link card. Plain functions over strings; no database, no fetching.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .networks import LINK_CARD, LINK_NOT_CLICKABLE, Network

URL_PATTERN = r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]'’”]"
HASHTAG_PATTERN = r"(?<![\w#&/])#(?P<tag>\w*[^\W\d_]\w*)"
MENTION_PATTERN = r"(?<![\w@/])@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)"
TOKEN_RE = re.compile(
    f"(?P<url>{URL_PATTERN})|(?P<hashtag>{HASHTAG_PATTERN})|(?P<mention>{MENTION_PATTERN})"
)
URL_RE = re.compile(URL_PATTERN)
HASHTAG_RE = re.compile(HASHTAG_PATTERN)

# X's weighted count (twitter-text v3): these ranges count 1, everything else 2.
X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def normalise(text: str) -> str:
    """One newline style, no trailing or leading blank space (networks trim it too)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def hashtags(text: str) -> list[str]:
    return [match.group("tag") for match in HASHTAG_RE.finditer(text)]


def urls(text: str) -> list[str]:
    return URL_RE.findall(text)


def _x_weight(char: str) -> int:
    if unicodedata.category(char) in {"Mn", "Me", "Sk"}:
        return 0  # variation selectors and skin tones ride on the character before them
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in X_LIGHT_RANGES) else 2


def character_count(text: str, network: Network) -> int:
    """Characters as `network` counts them (conservatively: never fewer than it would)."""
    text = normalise(text)
    if network.url_length is None:
        return len(text)
    total, position = 0, 0
    for match in URL_RE.finditer(text):
        total += sum(_x_weight(c) for c in text[position : match.start()]) + network.url_length
        position = match.end()
    return total + sum(_x_weight(c) for c in text[position:])


def fold_at(text: str, network: Network) -> int | None:
    """Where the network cuts the text with "…more", or None when it shows all of it.

    The cut comes after `fold` characters or `fold_lines` lines, whichever is sooner, moved back
    to the last space so that no word is split (as the apps do).
    """
    text = normalise(text)
    cut = None
    if network.fold is not None and len(text) > network.fold:
        cut = network.fold
    if network.fold_lines:
        end = -1
        for _ in range(network.fold_lines):
            end = text.find("\n", end + 1)
            if end == -1:
                break
        if end != -1 and text[end:].strip() and (cut is None or end < cut):
            cut = end
    if cut is None:
        return None
    if not text[cut].isspace():
        space = max(text.rfind(" ", 0, cut), text.rfind("\n", 0, cut))
        if space > cut // 2:
            cut = space
    return len(text[:cut].rstrip())


@dataclass(frozen=True)
class Segment:
    kind: str  # text | url | hashtag | mention
    text: str


def segments(text: str) -> list[Segment]:
    """The text split into plain runs and highlighted tokens, in order."""
    found, position = [], 0
    for match in TOKEN_RE.finditer(text):
        if match.start() > position:
            found.append(Segment("text", text[position : match.start()]))
        found.append(Segment(_kind(match), match.group(0)))
        position = match.end()
    if position < len(text):
        found.append(Segment("text", text[position:]))
    return found


def _kind(match: re.Match) -> str:
    for kind in ("url", "hashtag", "mention"):
        if match.group(kind) is not None:
            return kind
    return "text"


@dataclass(frozen=True)
class LinkCard:
    url: str
    domain: str
    title: str
    description: str


@dataclass
class Preview:
    network: Network
    author_name: str
    visible: list[Segment]
    hidden: list[Segment]
    count: int
    link_card: LinkCard | None = None
    link_note: str = ""
    image_alt: str = ""
    has_image: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def initial(self) -> str:
        name = self.author_name.strip()
        return name[0].upper() if name else "?"

    @property
    def folded(self) -> bool:
        return bool(self.hidden)

    @property
    def count_display(self) -> str:
        return f"{self.count:,}"

    @property
    def limit_display(self) -> str:
        return f"{self.network.limit:,}"

    @property
    def over_by(self) -> int:
        return max(self.count - self.network.limit, 0)

    @property
    def percent_used(self) -> int:
        return min(round(100 * self.count / self.network.limit), 100)

    @property
    def empty(self) -> bool:
        return not self.visible and not self.hidden


def domain_of(url: str) -> str:
    host = urlsplit(url if "://" in url else f"https://{url}").hostname or ""
    return host.removeprefix("www.")


def build_preview(
    *,
    network: Network,
    author_name: str,
    text: str,
    link_url: str = "",
    link_title: str = "",
    link_description: str = "",
    has_image: bool = False,
    image_alt: str = "",
) -> Preview:
    """What the post looks like on `network`: the part above the fold, the part below, the
    count against the limit and the link card the learner described (nothing is fetched)."""
    text = normalise(text)
    cut = fold_at(text, network)
    if cut is None:
        visible, hidden = segments(text), []
    else:
        visible, hidden = segments(text[:cut]), segments(text[cut:].lstrip())
    card, note = None, ""
    if link_url:
        if network.link == LINK_CARD:
            card = LinkCard(
                url=link_url,
                domain=domain_of(link_url),
                title=link_title.strip() or domain_of(link_url),
                description=link_description.strip(),
            )
        else:
            note = network.link_note
    elif network.link == LINK_NOT_CLICKABLE and urls(text):
        note = network.link_note
    return Preview(
        network=network,
        author_name=author_name,
        visible=visible,
        hidden=hidden,
        count=character_count(text, network),
        link_card=card,
        link_note=note,
        has_image=has_image,
        image_alt=image_alt.strip(),
    )
