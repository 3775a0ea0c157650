"""Parse HTML and list what a sanitiser must never let through."""

import re
from html.parser import HTMLParser

from courses.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    PRE_REGION,
    TABLE_REGION,
)

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "srcset",
    "poster",
    "background",
}


SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
C0_AND_SPACE = "".join(chr(code) for code in range(0x21))


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def dangerous_parts(html: str) -> list[str]:
    """Everything in `html` outside the allow-list: tags, attributes and URL schemes."""
    parser = _Collector()
    parser.feed(html)
    parser.close()
    problems = []
    for tag, attrs in parser.tags:
        if (tag, dict(attrs)) in (("div", TABLE_REGION), ("pre", PRE_REGION)):
            continue  # the renderer's own scrolling regions (a table's, a code block), exactly
        if tag not in ALLOWED_TAGS:
            problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if (
                name.startswith("on")
                or name in {"style", "srcdoc"}
                or (name not in ALLOWED_ATTRIBUTES.get(tag, set()) and name != "rel")
            ):
                problems.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in ALLOWED_URL_SCHEMES:
                    problems.append(f"{scheme}: URL in {name} on <{tag}>")
    return problems


def url_scheme(url: str) -> str | None:
    """The scheme a browser would use for `url`, or None for a relative URL.

    As the WHATWG URL parser does: leading and trailing C0 controls and spaces are stripped,
    tabs and newlines anywhere are removed, and a scheme is a letter followed by letters,
    digits, "+", "-" or "." before the first ":". Anything else ("<data:...", "\\javascript:",
    "java%0ascript:") is a path relative to the page.
    """
    cleaned = re.sub(r"[\t\n\r]", "", url.strip(C0_AND_SPACE))
    match = SCHEME.match(cleaned)
    return match.group(1).lower() if match else None
