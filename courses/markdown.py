"""Markdown to safe HTML: render first, then sanitise the *output* with an allow-list.

Sanitising the Markdown source instead would miss what the renderer itself produces
(e.g. `[x](javascript:...)` becomes an <a href> only after rendering).
"""

import re

import markdown as markdown_lib
import nh3
from django.utils.text import slugify

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "h1", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
HEADING_ID_PREFIX = "sec-"  # keeps authored ids apart from the page's own ids
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["tables", "fenced_code", "sane_lists", "abbr", "def_list", "toc"]


def heading_id(text: str, separator: str = "-") -> str:
    """The id a heading gets, so a quiz question can link to the section that teaches it."""
    return HEADING_ID_PREFIX + slugify(text)


URL_ATTRIBUTES = {"href", "src"}
SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*):")
# Browsers drop ASCII tabs and newlines anywhere in a URL and ignore leading control characters
# and spaces, so "java\tscript:" runs as "javascript:"; the scheme is judged as the browser will.
IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")


def _safe_url(element: str, attribute: str, value: str) -> str | None:
    if attribute not in URL_ATTRIBUTES:
        return value
    match = SCHEME_RE.match(IGNORED_IN_URLS.sub("", value).lower())
    if match and match.group(1) not in ALLOWED_URL_SCHEMES:
        return None
    return value


# A wide table scrolls sideways inside a region a keyboard can reach (axe-core's
# scrollable-region-focusable): added after sanitising, so it is our markup, not the author's.
TABLE_REGION = {"class": "prose-table", "role": "region", "tabindex": "0", "aria-label": "Table"}
TABLE_OPEN = (
    "<div " + " ".join(f'{name}="{value}"' for name, value in TABLE_REGION.items()) + ">\n<table>"
)
TABLE_CLOSE = "</table>\n</div>"
# A code block scrolls sideways when its lines are long: keyboard users must reach it too.
PRE_REGION = {"tabindex": "0", "role": "region", "aria-label": "Example"}
PRE_OPEN = "<pre " + " ".join(f'{name}="{value}"' for name, value in PRE_REGION.items()) + ">"


def render_markdown(source: str) -> str:
    """Render Markdown and return HTML that is safe to insert into a page as-is."""
    html = markdown_lib.markdown(
        source or "",
        extensions=EXTENSIONS,
        extension_configs={"toc": {"slugify": heading_id, "toc_depth": "2-6"}},
        output_format="html",
    )
    return (
        sanitise_html(html)
        .replace("<table>", TABLE_OPEN)
        .replace("</table>", TABLE_CLOSE)
        .replace("<pre>", PRE_OPEN)
    )


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        attribute_filter=_safe_url,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
