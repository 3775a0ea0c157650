"""The draft checks, table-driven: each check on examples that must raise it and examples that
must not. Plain functions: no database."""

import pytest

from practice import networks, post_checks, previews
from practice.post_checks import BannedWord, Draft

LINKEDIN = networks.get("linkedin")
X = networks.get("x")
INSTAGRAM = networks.get("instagram")
THREADS = networks.get("threads")

FILLER = (
    "We spent two afternoons with finance agreeing one definition of a qualified lead, "
    "and the monthly report finally means the same thing to everyone who reads it. "
)
BANNED = (BannedWord("Project Falcon", "unannounced product", "Acme"), BannedWord("Initech"))


def codes(text: str, network=LINKEDIN, **draft) -> set[str]:
    banned = draft.pop("banned", BANNED)
    found = post_checks.run_checks(Draft(network=network, text=text, **draft), banned=banned)
    return {finding.code for finding in found}


# (check code, draft text, network, extra draft fields)
RAISES = [
    ("over_limit", "a" * 281, X, {}),
    ("over_limit", "word " * 61, networks.get("bluesky"), {}),
    ("over_limit", "x" * 3001, LINKEDIN, {}),
    ("over_limit", "Read this " + "https://example.com/a " * 12, X, {}),  # links count 23 each
    ("too_many_hashtags", "Big day for the team. #one #two #three #four", LINKEDIN, {}),
    ("too_many_hashtags", "Repair days are back. #RepairDays #Gear", THREADS, {}),
    ("link_without_context", "New post: https://example.com/guide", LINKEDIN, {}),
    (
        "link_without_context",
        "Worth a read #Finance @tally",
        LINKEDIN,
        {"link_url": "https://example.com"},
    ),
    ("link_not_clickable", "Details at https://kestrel.example/repair " + FILLER, INSTAGRAM, {}),
    (
        "missing_disclosure",
        "Loving my new jacket, use my affiliate link to get 10% off!",
        LINKEDIN,
        {},
    ),
    ("missing_disclosure", "Loved this sponsored trip to the Lakes", LINKEDIN, {}),
    ("missing_disclosure", "Thanks @kestreloutdoor for the jacket #sp #collab", INSTAGRAM, {}),
    ("missing_disclosure", "Obsessed with this jacket #hiking #kestrelpartner", INSTAGRAM, {}),
    ("missing_disclosure", "Paid me to say it, but honestly: use my code HIKE10", LINKEDIN, {}),
    ("missing_disclosure", "Loving these gifted boots from Kestrel, so comfy", LINKEDIN, {}),
    ("missing_disclosure", "Use code HIKE10 for 10% off at Kestrel", LINKEDIN, {}),
    ("missing_disclosure", "Get 20% off with my code HIKE20", LINKEDIN, {}),
    ("missing_disclosure", "The Ridgeline 2: HIKE15 gets 15% off this week", LINKEDIN, {}),
    ("disclosure_below_fold", FILLER + FILLER + "Kestrel sent me these for free.", LINKEDIN, {}),
    ("disclosure_below_fold", FILLER + FILLER + "#ad #KestrelPartner", LINKEDIN, {}),
    ("banned_term", "Can't wait to tell you about project falcon next week", LINKEDIN, {}),
    ("banned_term", "Our friends at INITECH sent cake", LINKEDIN, {}),
    ("shouting", "BIG NEWS TODAY: our store opens", LINKEDIN, {}),
    ("shouting", "THIS IS THE BEST DEAL EVER, GET IT NOW before Friday", LINKEDIN, {}),
    # The same rule for short words as for long ones, and numbers don't break a run.
    ("shouting", "BUY IT NOW before Friday", LINKEDIN, {}),
    ("shouting", "Our HUGE SALE: 50% OFF everything", LINKEDIN, {}),
    ("shouting", "SALE STARTS FRIDAY", LINKEDIN, {}),
    ("no_call_to_action", FILLER, LINKEDIN, {}),
    ("engagement_bait", FILLER + "Agree?", LINKEDIN, {}),
    ("engagement_bait", "Like if you love Mondays", LINKEDIN, {}),
    ("engagement_bait", "Tag a friend who needs this", LINKEDIN, {}),
    ("image_without_alt", "Our new store", LINKEDIN, {"has_image": True}),
    ("weak_alt_text", "Our new store", LINKEDIN, {"has_image": True, "image_alt": "store"}),
    (
        "weak_alt_text",
        "Our new store",
        LINKEDIN,
        {"has_image": True, "image_alt": "Image of a shop front with a sign"},
    ),
    (
        "weak_alt_text",
        "Our new store",
        LINKEDIN,
        {"has_image": True, "image_alt": "A yellow jacket in the rain #RainGear"},
    ),
    ("emoji_only_line", "Launch day\n🚀", LINKEDIN, {}),
    ("emoji_only_line", "🎉 🎉\nWe did it", LINKEDIN, {}),
    ("emoji_run", "We did it 🎉🎉🎉", LINKEDIN, {}),
    ("emoji_run", "Three in a row 🔥 🔥 🔥 is noise", LINKEDIN, {}),
    ("hashtag_not_camelcase", "Join us #repairdays", LINKEDIN, {}),
    ("hashtag_not_camelcase", "Join us #SOCIALMEDIA tips", LINKEDIN, {}),
    ("hashtag_not_camelcase", "Join us #Employeeadvocacy", LINKEDIN, {}),
]

PASSES = [
    ("over_limit", "a" * 280, X, {}),
    ("over_limit", "Read this https://example.com/" + "a" * 300, X, {}),
    ("over_limit", "x" * 3000, LINKEDIN, {}),
    ("too_many_hashtags", "Big day for the team. #one #two #three", LINKEDIN, {}),
    ("too_many_hashtags", "Issue #1 and C# and a#b are not hashtags", THREADS, {}),
    ("link_without_context", FILLER + "https://example.com/guide", LINKEDIN, {}),
    ("link_without_context", "No link in this short one", LINKEDIN, {}),
    ("link_not_clickable", "Details at https://kestrel.example/repair " + FILLER, LINKEDIN, {}),
    ("link_not_clickable", "Link in bio for the details", INSTAGRAM, {}),
    (
        "missing_disclosure",
        "Ad | Kestrel paid me to test the Ridgeline 2 for a month.",
        LINKEDIN,
        {},
    ),
    ("missing_disclosure", "#ad Use my affiliate link for 10% off", LINKEDIN, {}),
    ("missing_disclosure", "Paid partnership with Kestrel: a month of rain tests", LINKEDIN, {}),
    (
        "missing_disclosure",
        "Gifted by Kestrel, no payment, and they haven't seen this.",
        LINKEDIN,
        {},
    ),
    ("missing_disclosure", "Not sponsored, I just love this jacket", LINKEDIN, {}),
    (
        "missing_disclosure",
        "Kestrel sent me these boots for free, no strings attached.",
        LINKEDIN,
        {},
    ),
    ("missing_disclosure", "(Gifted) A month in the Ridgeline 2 boots", LINKEDIN, {}),
    ("missing_disclosure", "We called a code red on Monday and fixed it", LINKEDIN, {}),
    ("missing_disclosure", "This video is sponsored by Kestrel", LINKEDIN, {}),
    ("missing_disclosure", "We ran an ad campaign and learned a lot", LINKEDIN, {}),
    ("disclosure_below_fold", "#ad " + FILLER + FILLER, LINKEDIN, {}),
    ("disclosure_below_fold", "Sponsored by Kestrel. " + FILLER, LINKEDIN, {}),
    ("banned_term", "Falcons and projects are fine words", LINKEDIN, {}),
    ("banned_term", "Initechnology is a different word", LINKEDIN, {}),
    ("shouting", "KPI, ROI, CTR are our metrics this quarter", LINKEDIN, {}),
    ("shouting", "BIG news from the NHS team today", LINKEDIN, {}),
    ("shouting", "Our CEO and the NHS PR team on SEO, UGC and ROI", LINKEDIN, {}),
    ("shouting", "Sale starts FRIDAY", LINKEDIN, {}),
    ("no_call_to_action", FILLER + "Read the guide.", LINKEDIN, {}),
    ("no_call_to_action", FILLER + "What would you measure first?", LINKEDIN, {}),
    ("no_call_to_action", "Short and sweet.", LINKEDIN, {}),
    ("engagement_bait", FILLER + "What would you measure first, and why?", LINKEDIN, {}),
    ("engagement_bait", "I like it if the numbers add up", LINKEDIN, {}),
    ("image_without_alt", "Our new store", LINKEDIN, {}),
    (
        "image_without_alt",
        "Our new store",
        LINKEDIN,
        {
            "has_image": True,
            "image_alt": "Shop front with a green door and a sign reading Kestrel.",
        },
    ),
    (
        "weak_alt_text",
        "Our new store",
        LINKEDIN,
        {
            "has_image": True,
            "image_alt": "Shop front with a green door and a sign reading Kestrel.",
        },
    ),
    ("emoji_only_line", "Launch day 🚀\nSee you there", LINKEDIN, {}),
    ("emoji_run", "We did it 🎉 and so did you 🎉", LINKEDIN, {}),
    ("emoji_run", "One family 👨‍👩‍👧 emoji is one", LINKEDIN, {}),
    ("hashtag_not_camelcase", "Join us #RepairDays", LINKEDIN, {}),
    (
        "hashtag_not_camelcase",
        "One word is fine #marketing #sustainability #leadership",
        LINKEDIN,
        {},
    ),
    ("hashtag_not_camelcase", "Short tags #tbt #ad", LINKEDIN, {}),
]


@pytest.mark.parametrize(("code", "text", "network", "extra"), RAISES)
def test_check_raises(code, text, network, extra):
    assert code in codes(text, network, **extra)


@pytest.mark.parametrize(("code", "text", "network", "extra"), PASSES)
def test_check_passes(code, text, network, extra):
    assert code not in codes(text, network, **extra)


def test_every_check_has_raising_and_passing_examples():
    checked = {code for code, *_ in RAISES}
    assert checked == {code for code, *_ in PASSES}
    assert checked == set(post_checks.LESSONS)


def test_each_message_explains_itself_and_problems_come_first():
    draft = Draft(
        network=X,
        text="BIG NEWS TODAY use my affiliate link #repairdays " + "x" * 300,
        has_image=True,
    )
    found = post_checks.run_checks(draft)
    levels = [f.level for f in found]
    assert levels == sorted(levels, key=post_checks.LEVEL_ORDER.get)
    over = next(f for f in found if f.code == "over_limit")
    assert "X allows 280" in over.message
    camel = next(f for f in found if f.code == "hashtag_not_camelcase")
    assert "#repairdays → #RepairDays" in camel.message
    assert all(len(f.message) > 40 for f in found)


def test_banned_term_message_names_the_organisation_and_reason():
    [finding] = [
        f
        for f in post_checks.run_checks(
            Draft(network=LINKEDIN, text="Project  Falcon!"), banned=BANNED
        )
        if f.code == "banned_term"
    ]
    assert "Acme's list" in finding.message
    assert "unannounced product" in finding.message


def test_an_empty_draft_raises_nothing():
    assert post_checks.run_checks(Draft(network=LINKEDIN, text="  \n "), banned=BANNED) == []


# -- counting and the fold ---------------------------------------------------------------


@pytest.mark.parametrize("network", networks.NETWORKS, ids=lambda n: n.slug)
def test_preview_truncates_at_each_networks_fold(network):
    text = " ".join(f"word{n}" for n in range(400))
    preview = previews.build_preview(network=network, author_name="Lena", text=text)
    visible = "".join(s.text for s in preview.visible)
    hidden = "".join(s.text for s in preview.hidden)
    if network.fold is None:
        assert not preview.folded
        assert visible == text
    else:
        assert preview.folded
        assert len(visible) <= network.fold
        assert len(visible) > network.fold - 12  # cut at the last whole word before the fold
        assert text.startswith(visible)
        assert (visible + " " + hidden) == text  # nothing lost, no word split


@pytest.mark.parametrize("network", [n for n in networks.NETWORKS if n.fold], ids=lambda n: n.slug)
def test_text_that_fits_above_the_fold_is_not_folded(network):
    text = "x" * network.fold
    assert previews.fold_at(text, network) is None


def test_linkedin_folds_after_three_lines_before_210_characters():
    text = "One.\n\nTwo.\nThree.\nFour."
    cut = previews.fold_at(text, LINKEDIN)
    assert text[:cut] == "One.\n\nTwo."


def test_counts_follow_each_networks_rules():
    assert previews.character_count("  hello \r\n", LINKEDIN) == 5
    assert previews.character_count("see https://example.com/" + "a" * 100, X) == 4 + 23
    assert previews.character_count("ok 😀", X) == 5  # X counts an emoji as two
    assert previews.character_count("ok 😀", LINKEDIN) == 4


def test_hashtags_mentions_and_links_are_highlighted():
    preview = previews.build_preview(
        network=LINKEDIN,
        author_name="lena",
        text="Hi @kestrel, see https://kestrel.example/a. #RepairDays (email me@x.com)",
    )
    kinds = [(s.kind, s.text) for s in preview.visible if s.kind != "text"]
    assert kinds == [
        ("mention", "@kestrel"),
        ("url", "https://kestrel.example/a"),
        ("hashtag", "#RepairDays"),
    ]
    assert preview.initial == "L"


def test_link_card_is_built_from_what_the_learner_typed():
    preview = previews.build_preview(
        network=LINKEDIN,
        author_name="Lena",
        text="Our guide",
        link_url="https://www.kestrel.example/repair",
        link_title="Repair Days",
        link_description="Bring any jacket.",
    )
    assert preview.link_card.domain == "kestrel.example"
    assert preview.link_card.title == "Repair Days"
    insta = previews.build_preview(
        network=INSTAGRAM, author_name="Lena", text="x", link_url="https://kestrel.example"
    )
    assert insta.link_card is None
    assert "link in bio" in insta.link_note


def test_the_network_table_has_a_review_date_and_sane_values():
    assert networks.LAST_REVIEWED.year >= 2026
    slugs = [n.slug for n in networks.NETWORKS]
    assert len(slugs) == len(set(slugs)) == 9
    assert networks.get("x").limit == 280
    assert networks.get("bluesky").limit == 300
    assert networks.get("threads").limit == 500
    assert networks.get("linkedin").limit == 3000
    for network in networks.NETWORKS:
        assert network.fold is None or network.fold < network.limit
        assert network.max_hashtags >= 1


def test_every_lesson_a_check_links_to_is_in_the_shipped_curriculum():
    from pathlib import Path

    content = Path(__file__).resolve().parents[2] / "content"
    shipped = {(path.parts[-3], path.stem.split("-", 1)[1]) for path in content.glob("*/*/*.md")}
    wanted = {ref for refs in post_checks.LESSONS.values() for ref in refs}
    assert wanted <= shipped, wanted - shipped
