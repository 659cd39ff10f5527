"""Check that a built HTML site loads no script, stylesheet or font from another host.

The documentation must work offline (README, install page): every file a page
makes the browser fetch -- scripts, stylesheets, fonts, images, frames --
has to be in the build itself. :func:`find_problems` reads the built HTML and
CSS files and lists each reference to another host, each local reference to
a file that is missing from the build, and each page with math that loads no
local math engine. ``docs/conf.py`` runs it at the end of every HTML build
(a warning, so an error under ``-W``); ``tests/test_docs_assets.py`` tests it
and runs it on a built site. Standard library only, so that it runs with the
docs extra alone::

    python docs/sphinxext/offline_assets.py docs/_build/html
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The attributes through which an element makes the browser fetch a file.
# (<a href> only links: following it is the reader's choice.)
_FETCHING_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
}
# <link> relations that name a page rather than fetch a file.
_NON_FETCHING_LINK_RELS = {"canonical", "alternate", "author", "license", "help"}
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""")


def is_other_host(url):
    """Whether fetching ``url`` would contact another host (http:, //host, ...)."""
    return bool(urlsplit(url.strip()).netloc)


def _local_path(base_dir, url):
    """The file a same-site URL points to, or None for data:, #... and the like."""
    parts = urlsplit(url.strip())
    if parts.scheme or not parts.path:
        return None
    return (base_dir / unquote(parts.path)).resolve()


def _css_urls(text):
    urls = [
        next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(text)
    ]
    urls += [m[1] or m[2] for m in _CSS_IMPORT.finditer(text)]
    return [u for u in urls if u]


class _PageReader(HTMLParser):
    """Collects the URLs a page fetches and whether it has (and renders) math."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fetched = []  # (what, url)
        self.has_math = False
        self.local_scripts = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "math" in (attrs.get("class") or "").split():
            self.has_math = True
        if tag == "style":
            self._in_style = True
        rels = set((attrs.get("rel") or "").lower().split())
        if tag == "link" and rels and rels <= _NON_FETCHING_LINK_RELS:
            return
        for name in _FETCHING_ATTRIBUTES.get(tag, ()):
            value = attrs.get(name)
            if not value:
                continue
            if name == "srcset":
                urls = [c.strip().split()[0] for c in value.split(",") if c.strip()]
            else:
                urls = [value]
            for url in urls:
                self.fetched.append((f"<{tag} {name}>", url))
                if tag == "script" and not is_other_host(url):
                    self.local_scripts.append(url)
        if attrs.get("style"):
            self.fetched += [("style attribute", u) for u in _css_urls(attrs["style"])]

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.fetched += [("<style>", u) for u in _css_urls(data)]


def find_problems(site_dir):
    """List what would make the built site fetch from another host or fail offline.

    Parameters
    ----------
    site_dir : str or pathlib.Path
        The HTML builder's output directory (``docs/_build/html``).

    Returns
    -------
    problems : list of str
        One line per problem, naming the file; empty when the site is
        self-contained.
    """
    site_dir = Path(site_dir).resolve()
    if not (site_dir / "index.html").is_file():
        return [f"{site_dir}: no index.html, not a built HTML site"]
    problems = []

    def check(source, what, url, base_dir):
        name = source.relative_to(site_dir)
        if is_other_host(url):
            problems.append(f"{name}: {what} loads {url} from another host")
            return
        path = _local_path(base_dir, url)
        if path is not None and not path.exists():
            problems.append(f"{name}: {what} refers to {url}, missing from the build")

    for page in sorted(site_dir.rglob("*.html")):
        if page.relative_to(site_dir).parts[0] == "_static":
            continue  # a theme's template fragments, not pages
        reader = _PageReader()
        reader.feed(page.read_text(encoding="utf-8"))
        for what, url in reader.fetched:
            check(page, what, url, page.parent)
        if reader.has_math and not any("mathjax" in s for s in reader.local_scripts):
            problems.append(
                f"{page.relative_to(site_dir)}: has math but loads no MathJax "
                "from the build"
            )
    for sheet in sorted(site_dir.rglob("*.css")):
        for url in _css_urls(sheet.read_text(encoding="utf-8", errors="replace")):
            check(sheet, "stylesheet", url, sheet.parent)
    return problems


if __name__ == "__main__":
    found = find_problems(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")
    print("\n".join(found) or "no external or missing assets")
    sys.exit(1 if found else 0)
