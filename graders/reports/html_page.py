"""The pages netlab writes for people to read: one stylesheet, markup escaped by default.

A page is plain semantic HTML with its stylesheet inline: no script, no external resource,
so it reads the same offline, as a mail attachment, or from a CI artifact. Every string
that goes into a page is escaped unless it is ``Html`` built here: names, outputs and wires
come from submissions, and a student can print ``<script>``.

The wire's line ends (``␍`` ``␊`` in a transcript) are drawn as small ``CR`` ``LF`` badges:
the Control Pictures characters are missing from many fonts and show as empty boxes.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

# What a wire's visible line-end characters (graders/wire.py) show as, and their tooltips.
LINE_ENDS = {"␍": ("CR", "carriage return: the byte \\r (13)"), "␊": ("LF", "line feed: the byte \\n (10)")}

STYLE = """
:root { --pass: #1a7f37; --fail: #c62828; --line: #d0d7de; --soft: #f6f8fa; --dim: #57606a;
        --all: #1a7f37; --nearly: #b7e1a1; --most: #fde68a; --half: #fdba74; --few: #c62828; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans",
       sans-serif; color: #1f2328; margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 80rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
p.meta { color: var(--dim); margin: 0 0 1rem; }
nav { margin: .5rem 0 1rem; }
nav a { margin-right: 1rem; }
a { color: #0550ae; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono",
       monospace; font-size: .9em; }
table { border-collapse: collapse; margin: .4rem 0 1rem; }
table.checks { width: 100%; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .55rem; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.rate { white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.pass { color: var(--pass); } .fail { color: var(--fail); }
.all, .nearly, .most, .half, .few { font-weight: 600; padding: 0 .3em; border-radius: 3px; color: #1f2328;
  print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.all { background: var(--all); color: #fff; } .nearly { background: var(--nearly); } .most { background: var(--most); }
.half { background: var(--half); } .few { background: var(--few); color: #fff; }
.bar.all, .bar.nearly, .bar.most, .bar.half, .bar.few { padding: 0; }
.legend span { margin-right: .8rem; white-space: nowrap; }
.rule { display: block; color: var(--dim); font-size: .85em; }
.track { display: inline-block; height: .8em; background: #eef1f4; border-radius: 2px; vertical-align: -.05em; }
.track.wide { width: 14rem; } .track.narrow { width: 4.5rem; }
.bar { display: block; height: 100%; border-radius: 2px; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.bar.pass { background: var(--pass); } .bar.fail { background: var(--fail); }

.bar.count { background: #4c78a8; }
.names { overflow-wrap: anywhere; } .none { color: var(--dim); }
.failed { border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 4px;
          padding: .5rem .9rem; margin: .8rem 0; }
.failed h4 { margin: .1rem 0 .5rem; font-size: 1rem; }
dl.message { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.message dt { font-weight: 600; color: var(--dim); }
dl.message dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border: 1px solid var(--line);
      border-radius: 4px; padding: .5rem .7rem; margin: .2rem 0; }
pre.wire .who { font-weight: 700; }
pre.wire .c .who { color: #0550ae; } pre.wire .s .who { color: #6639ba; } pre.wire .event { color: var(--dim); }
.eol { font: 600 .75em/1 system-ui, Arial, sans-serif; color: #424a53; background: #e4e8ec; border: 1px solid #c3cad1;
       border-radius: 3px; padding: 0 .2em; margin-left: .15em; vertical-align: .12em; }
ul.passed { columns: 2 26rem; padding-left: 1.2rem; margin: .3rem 0; }
ul.passed li { break-inside: avoid; margin-bottom: .25rem; }
footer { margin-top: 2.5rem; color: var(--dim); font-size: .85em; }
.orders > table { display: none; }
.orders > table:target, .orders > table.default { display: table; }
.orders > table:target ~ table.default { display: none; }
th a.sort { color: inherit; } th[aria-sort] a.sort { text-decoration-thickness: 3px; }
"""


class Html(str):
    """Markup that is safe as it is; any other ``str`` put into a page is escaped."""


def text(value: object) -> Html:
    return value if isinstance(value, Html) else Html(html.escape(str(value)))


def tag(name: str, *children: object, **attrs: object) -> Html:
    """``<name attrs>children</name>``: ``class_`` is ``class``, ``_`` in other names is ``-``;
    a None child or attribute is left out."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{html.escape(str(value))}"' for key, value in attrs.items() if value is not None
    )
    return Html(f"<{name}{rendered}>{join(children)}</{name}>")


def join(children: Iterable[object]) -> Html:
    return Html("".join(text(child) for child in children if child is not None))


def with_line_ends(value: str) -> Html:
    """The text, escaped, with each visible line end (␍, ␊) drawn as a badge that every font has."""
    escaped = str(text(value))
    for char, (label, title) in LINE_ENDS.items():
        escaped = escaped.replace(char, f'<span class="eol" title="{title}">{label}</span>')
    return Html(escaped)


# A line end drawn in a cell one character wide, as its Control Picture would be: a text table
# laid out by characters (rich's export, netlab compare's two wires side by side) stays aligned.
EOL_CELL = "display: inline-block; width: 1ch; text-align: center; vertical-align: top"
EOL_MARK = "font: 700 .5em/2 ui-monospace, monospace; letter-spacing: 0; color: #1f2328; background: #d8dee4; border-radius: 2px"


def line_ends_in_cells(markup: str) -> str:
    """A whole page made elsewhere, with each visible line end (␍, ␊) a one-character cell that
    every font can draw."""
    for char, (label, title) in LINE_ENDS.items():
        markup = markup.replace(char, f'<span style="{EOL_CELL}" title="{title}"><span style="{EOL_MARK}">{label}</span></span>')
    return markup


def prose(value: str) -> Html:
    """A message's text: `quoted` names as code, line ends as badges."""
    pieces = value.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backquote: shown as it is
        return with_line_ends(value)
    return join(tag("code", with_line_ends(piece)) if index % 2 else with_line_ends(piece) for index, piece in enumerate(pieces))


def page(title: str, *body: object) -> str:
    """A whole document: the shared stylesheet, the title, the body."""
    head = tag("head", Html('<meta charset="utf-8">'), Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
               tag("title", title), tag("style", Html(STYLE)))
    return "<!DOCTYPE html>\n" + tag("html", head, tag("body", *body), lang="en") + "\n"


def footer(made: str) -> Html:
    return tag("footer", f"Made by netlab {made}.")


def link(target: Path, origin: Path) -> str:
    """A relative, URL-quoted link from a page in directory ``origin`` to ``target`` (a name may hold
    spaces, ``#`` or ``%``); a ``file:`` URI where no relative path exists (another drive)."""
    try:
        return quote(Path(os.path.relpath(target.resolve(), origin.resolve())).as_posix())
    except ValueError:
        return target.resolve().as_uri()


# The colours of a share, each step from its lower bound. Each is a fill behind dark or white
# text, the fills far apart in lightness where hue alone would not tell them (84% and 100%: a
# reader who cannot tell green from amber, a page printed in grey).
SHARES = ((1.0, "all", "100%"), (0.9, "nearly", "90–99%"), (0.75, "most", "75–89%"), (0.5, "half", "50–74%"),
          (0.0, "few", "under 50%"))


def rate_class(passed: float, total: float) -> str:
    """The colour of a share of ``total``: its step in ``SHARES``; nothing of nothing is few."""
    share = passed / total if total else 0.0
    return next(name for lowest, name, _ in SHARES if share >= lowest)


def legend() -> Html:
    """What each colour of a share means."""
    return tag("p", "Colours: ", *(tag("span", label, class_=name) for _, name, label in SHARES), class_="meta legend")


def bar(fraction: float, kind: str, track: str = "wide") -> Html:
    """A horizontal bar on a track that stands for the whole (1.0): the track tells the scale."""
    filled = tag("span", class_=f"bar {kind}", style=f"width: {fraction * 100:.1f}%")
    return tag("span", filled, class_=f"track {track}", aria_hidden="true")


def write(path: Path, document: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path
