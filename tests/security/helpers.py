"""Helpers shared by the security tests: page differences, form filling, CSRF-free comparison."""

import re
from collections import Counter
from html.parser import HTMLParser

from tests.html_checks import dangerous_parts

CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def dangers(html: str) -> Counter:
    """Every tag, attribute and URL scheme outside the content allow-list, counted.

    A whole page has many (the layout's forms, classes, scripts); compare two renderings of the
    same page to see what user data added.
    """
    return Counter(dangerous_parts(html))


def added_dangers(page: str, baseline: str) -> list[str]:
    """What `page` has beyond `baseline` (the same page rendered with harmless data)."""
    return sorted((dangers(page) - dangers(baseline)).elements())


def forget_messages(client) -> None:
    """Drop flash messages a loop of POSTs piles up (they'd grow the cookie, then the session)."""
    client.cookies.pop("messages", None)


def without_csrf(html: str) -> str:
    return CSRF_VALUE.sub(r"\1…\2", html)


def harmless_twin(text: str) -> str:
    """A string shaped like `text` (same length, same whitespace and NULs) but harmless, so a
    form validates both the same way and a page built from either has the same structure."""
    return "".join(ch if ch.isspace() or ch == "\x00" else "b" for ch in text)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": a, "fields": {}, "names": set()})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            form["names"].add(name)
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    form["fields"].setdefault(name, []).append(a.get("value", "on"))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                form["fields"][name] = [a.get("value") or ""]
        elif tag == "select" and name:
            form["names"].add(name)
            self._select = name
            form["fields"].setdefault(name, [])
        elif tag == "option" and self._select:
            if "selected" in a:
                form["fields"][self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            form["names"].add(name)
            self._textarea = name
            form["fields"][name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea][0] += data


def form_data(html: str, *, containing: str) -> dict[str, list[str]]:
    """The values a browser would submit for the first form with a field named `*containing`."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(name.endswith(containing) for name in form["names"]):
            return {name: values for name, values in form["fields"].items() if values}
    raise AssertionError(f"no form with a field ending in {containing!r}")


def field_name(data: dict, suffix: str) -> str:
    """The full (possibly prefixed) name of the form field ending in `suffix`."""
    (name,) = [name for name in data if name.endswith(suffix)]
    return name
