"""Parse HTML and list what a sanitiser must never let through."""

from html.parser import HTMLParser

from courses.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES

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
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace()).lower()
    if ":" not in cleaned:
        return None
    scheme = cleaned.split(":", 1)[0]
    if "/" in scheme or "?" in scheme or "#" in scheme:
        return None  # a relative URL with a colon later on
    return scheme
