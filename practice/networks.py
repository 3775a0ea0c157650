"""The networks the post studio previews, and each one's rules: ONE table, the only place they live.

Limits change, sometimes every few months, and differ by account type, app and screen size. The
values below are conservative, widely documented figures (help centres and platform guidance) as
they stood on LAST_REVIEWED: the limit is the hard maximum for a standard account, the fold is
roughly where a phone shows "…more". They are checked at the review date, not continuously:
whoever reviews them next checks each network's help centre, corrects what moved and bumps
LAST_REVIEWED. The studio shows the date to learners so nobody mistakes them for live values.
"""

from dataclasses import dataclass
from datetime import date

LAST_REVIEWED = date(2026, 11, 26)

# How a network treats a link attached to a post.
LINK_CARD = "card"  # a preview card (title, description, domain) under the post
LINK_PLAIN = "plain"  # a clickable link in the text, no card
LINK_NOT_CLICKABLE = "not-clickable"  # links in the text are not clickable at all


@dataclass(frozen=True)
class Network:
    slug: str
    name: str
    limit: int  # characters, hard maximum for a standard account
    limit_note: str
    fold: int | None  # characters shown before the "…more" cut; None: the whole post shows
    fold_lines: int | None  # lines shown before the cut, when lines cut sooner than characters
    more_label: str
    max_hashtags: int  # guidance (or hard limit where the network sets one), not a target
    hashtag_note: str
    link: str
    link_note: str
    url_length: int | None = None  # every link counts as this many characters (X's t.co)
    kind: str = "post"  # what the text is called there: post, caption, description, message

    def __str__(self) -> str:
        return self.name


NETWORKS: tuple[Network, ...] = (
    Network(
        slug="linkedin",
        name="LinkedIn",
        limit=3000,
        limit_note="3,000 characters for a post.",
        fold=210,
        fold_lines=3,
        more_label="…see more",
        max_hashtags=3,
        hashtag_note="Two or three relevant hashtags, or none; a block of them looks like spam.",
        link=LINK_CARD,
        link_note="A link shows a preview card. Test link-in-post against link-in-first-comment on your own account.",
    ),
    Network(
        slug="x",
        name="X",
        limit=280,
        limit_note="280 characters for standard accounts (Premium allows longer posts); every link counts as 23.",
        fold=None,
        fold_lines=None,
        more_label="Show more",
        max_hashtags=2,
        hashtag_note="One or two hashtags at most.",
        link=LINK_CARD,
        link_note="A link shows a card; it counts as 23 characters whatever its length.",
        url_length=23,
    ),
    Network(
        slug="instagram",
        name="Instagram",
        limit=2200,
        limit_note="2,200 characters for a caption.",
        fold=125,
        fold_lines=2,
        more_label="… more",
        max_hashtags=5,
        hashtag_note="Instagram now caps hashtags per post (five at the review date); three to five relevant ones.",
        link=LINK_NOT_CLICKABLE,
        link_note="Links in feed captions aren't clickable: use the link in bio, a Story link sticker or product tags.",
        kind="caption",
    ),
    Network(
        slug="facebook",
        name="Facebook",
        limit=63206,
        limit_note="63,206 characters for a post; far fewer are read.",
        fold=480,
        fold_lines=5,
        more_label="…See more",
        max_hashtags=2,
        hashtag_note="Hashtags do little on Facebook; one or two at most.",
        link=LINK_CARD,
        link_note="A link shows a preview card.",
    ),
    Network(
        slug="threads",
        name="Threads",
        limit=500,
        limit_note="500 characters for a post.",
        fold=None,
        fold_lines=None,
        more_label="",
        max_hashtags=1,
        hashtag_note="Threads takes one topic tag per post.",
        link=LINK_CARD,
        link_note="A link shows a preview card.",
    ),
    Network(
        slug="bluesky",
        name="Bluesky",
        limit=300,
        # Bluesky counts graphemes; the studio counts code points, which is never fewer.
        limit_note="300 characters for a post.",
        fold=None,
        fold_lines=None,
        more_label="",
        max_hashtags=2,
        hashtag_note="One or two hashtags; custom feeds matter more than tags.",
        link=LINK_CARD,
        link_note="A link can show a preview card.",
    ),
    Network(
        slug="tiktok",
        name="TikTok caption",
        limit=4000,
        limit_note="4,000 characters for a caption.",
        fold=100,
        fold_lines=2,
        more_label="… more",
        max_hashtags=5,
        hashtag_note="Three to five specific hashtags.",
        link=LINK_NOT_CLICKABLE,
        link_note="Links in captions aren't clickable: use the link in bio.",
        kind="caption",
    ),
    Network(
        slug="youtube",
        name="YouTube description",
        limit=5000,
        limit_note="5,000 characters for a description.",
        fold=150,
        fold_lines=3,
        more_label="…more",
        max_hashtags=3,
        hashtag_note="The first three hashtags show above the title; with more than 60, YouTube ignores them all.",
        link=LINK_PLAIN,
        link_note="Links in the description are clickable; there's no preview card.",
        kind="description",
    ),
    Network(
        slug="enterprise",
        name="Enterprise network (Viva Engage/Slack)",
        limit=10000,
        limit_note="Generous (Slack allows far more); the studio warns past 10,000 characters.",
        fold=500,
        fold_lines=6,
        more_label="See more",
        max_hashtags=3,
        hashtag_note="Use the community's agreed topics; a few at most.",
        link=LINK_CARD,
        link_note="Links unfurl into a preview card.",
        kind="message",
    ),
)

BY_SLUG: dict[str, Network] = {network.slug: network for network in NETWORKS}
CHOICES: list[tuple[str, str]] = [(network.slug, network.name) for network in NETWORKS]
DEFAULT = "linkedin"


def get(slug: str) -> Network:
    """The network with `slug`; an unknown slug (a row saved before a network was removed)
    falls back to LinkedIn's rules rather than breaking the page."""
    return BY_SLUG.get(slug, BY_SLUG[DEFAULT])


def label(slug: str) -> str:
    network = BY_SLUG.get(slug)
    return network.name if network else slug


def reviews() -> dict[str, date]:
    """When each network's rules were last reviewed (the whole table at once), by slug and by
    lowercased name: the freshness report compares lessons' platforms with it."""
    found: dict[str, date] = {}
    for network in NETWORKS:
        found[network.slug] = found[network.name.lower()] = LAST_REVIEWED
    return found
