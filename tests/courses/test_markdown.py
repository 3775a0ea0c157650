"""Markdown is rendered, then sanitised: the output is checked with an HTML parser."""

import pytest

from courses.markdown import render_markdown
from tests.html_checks import dangerous_parts

HOSTILE = [
    "<script>alert(1)</script>",
    "<iframe src='https://evil.example'></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "[vb](vbscript:msgbox(1))",
    "<a href='javascript:alert(1)'>raw link</a>",
    "<img src=x onerror=alert(1)>",
    "<p onclick='alert(1)'>click</p>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<<script>script>alert(1)<</script>/script>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<form action='javascript:alert(1)'><button>go</button></form>",
    "<object data='x.swf'></object><embed src='x.swf'>",
    '<a href="https://ok.example" onmouseover="alert(1)">ok</a>',
    "<!-- <script>alert(1)</script> -->",
    "<style>body{display:none}</style>",
    "<base href='https://evil.example/'>",
    "<meta http-equiv='refresh' content='0;url=https://evil.example'>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_is_neutralised(source):
    html = render_markdown(source)
    assert dangerous_parts(html) == [], html


def test_ordinary_markdown_survives():
    html = render_markdown(
        '## Heading\n\nSome **bold**, a [link](https://example.com "t") and `code`.\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n- one\n- two\n"
    )
    assert '<h2 id="sec-heading">Heading</h2>' in html  # the id quiz results link to
    assert "<strong>bold</strong>" in html
    assert (
        '<a href="https://example.com" title="t" rel="noopener noreferrer nofollow">link</a>'
        in html
    )
    assert "<table>" in html
    assert "<blockquote>" in html
    assert "<li>one</li>" in html
    assert dangerous_parts(html) == []


def test_raw_html_text_is_kept_as_text_not_markup():
    html = render_markdown("Before <script>alert(1)</script> after")
    assert "<script" not in html
    assert "Before" in html
    assert "after" in html


def test_mailto_links_are_allowed():
    html = render_markdown("[mail](mailto:team@example.com)")
    assert 'href="mailto:team@example.com"' in html


def test_tables_and_code_blocks_scroll_inside_focusable_regions():
    """A keyboard user can reach and scroll what is wider than a phone (axe:
    scrollable-region-focusable)."""
    html = render_markdown(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nhttps://example.com/?utm_source=x\n```"
    )

    assert '<div class="prose-table" role="region" tabindex="0" aria-label="Table">' in html
    assert '<pre tabindex="0" role="region" aria-label="Example"><code>' in html
    assert dangerous_parts(html) == []
