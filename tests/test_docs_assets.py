"""The documentation site loads nothing from another host, and its figures are legible.

The checks live in docs/sphinxext (the docs build runs them too); these tests
check the checkers on small hand-made sites and figures, and run the offline
check on the built site when one is there (CI builds the docs before running
the tests). Nothing is built here.
"""

import importlib.util
import os
from pathlib import Path

import pytest

_DOCS = Path(__file__).resolve().parent.parent / "docs"


def _load(name):
    spec = importlib.util.spec_from_file_location(
        name, _DOCS / "sphinxext" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


offline_assets = _load("offline_assets")


def _site(tmp_path, page, css="", extra_files=()):
    (tmp_path / "index.html").write_text(page)
    (tmp_path / "style.css").write_text(css)
    for name in extra_files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    return tmp_path


def test_self_contained_site_has_no_problems(tmp_path):
    page = """<html><head>
    <link rel="stylesheet" href="style.css?digest=1">
    <link rel="canonical" href="https://example.org/skfair/">
    <script src="_static/mathjax/tex-chtml.js" defer></script>
    <script>var x = 1;</script>
    </head><body>
    <a href="https://scikit-learn.org">links are not loads</a>
    <img src="data:image/png;base64,AAAA" srcset="fig.png, fig_2x.png 2x">
    <span class="math notranslate">\\(x\\)</span>
    </body></html>"""
    svg = "<svg xmlns='http://www.w3.org/2000/svg'/>"
    css = f"""a {{ background: url("data:image/svg+xml,{svg}"); }}
    @font-face {{ src: url(fonts/a.woff2) format("woff2"); }}"""
    site = _site(
        tmp_path,
        page,
        css,
        ["_static/mathjax/tex-chtml.js", "fig.png", "fig_2x.png", "fonts/a.woff2"],
    )
    assert offline_assets.find_problems(site) == []


@pytest.mark.parametrize(
    "head",
    [
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js"></script>',
        '<link rel="stylesheet" href="//fonts.example.com/css?family=Lato">',
        '<link rel="preload" as="font" href="http://fonts.example.com/a.woff2">',
        '<style>@import "https://example.com/theme.css";</style>',
        "<style>body { background: url(https://example.com/bg.png); }</style>",
    ],
)
def test_reference_to_another_host_is_a_problem(tmp_path, head):
    site = _site(tmp_path, f"<html><head>{head}</head><body></body></html>")
    problems = offline_assets.find_problems(site)
    assert len(problems) == 1
    assert problems[0].startswith("index.html:")
    assert "from another host" in problems[0]


def test_external_font_in_a_stylesheet_is_a_problem(tmp_path):
    css = "@font-face { src: url('https://fonts.example.com/lato.woff2'); }"
    site = _site(tmp_path, "<html></html>", css)
    assert offline_assets.find_problems(site) == [
        "style.css: stylesheet loads https://fonts.example.com/lato.woff2 "
        "from another host"
    ]


def test_missing_local_asset_and_math_without_engine_are_problems(tmp_path):
    page = """<html><head><script src="_static/mathjax/tex-chtml.js"></script>
    </head><body><img srcset="a.png, b.png 2x" src="a.png"></body></html>"""
    site = _site(tmp_path, page, extra_files=["a.png"])
    assert offline_assets.find_problems(site) == [
        "index.html: <script src> refers to _static/mathjax/tex-chtml.js, "
        "missing from the build",
        "index.html: <img srcset> refers to b.png, missing from the build",
    ]
    (tmp_path / "index.html").write_text(
        '<html><body><div class="math notranslate nohighlight">\\[x\\]</div>'
    )
    assert offline_assets.find_problems(site) == [
        "index.html: has math but loads no MathJax from the build"
    ]


def test_not_a_site(tmp_path):
    (problem,) = offline_assets.find_problems(tmp_path)
    assert "no index.html" in problem


def _built_site():
    # CI sets SKFAIR_DOCS_HTML after building, so that a missing site fails
    # there; elsewhere the check runs when a build is present.
    site = os.environ.get("SKFAIR_DOCS_HTML")
    if site:
        return Path(site)
    site = _DOCS / "_build" / "html"
    if not (site / "index.html").is_file():
        pytest.skip("no built documentation in docs/_build/html")
    return site


def test_built_site_is_self_contained():
    site = _built_site()
    assert offline_assets.find_problems(site) == []
    # The engine is there, and the pages with formulas load it.
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    criteria = (site / "user_guide" / "fairness_criteria.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in criteria
    assert 'class="math' in criteria
    # Responsive theme with a section list and previous/next links; copy
    # buttons that leave out the prompts.
    assert "toc-h2 nav-item toc-entry" in criteria
    assert 'class="prev-next-area"' in criteria
    assert "copybutton.js" in criteria


def test_displayed_font_sizes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = _load("skfair_figures")
    # 13 in at 100 dpi is shrunk to the 752 px column: 10 pt shows as ~6 pt.
    fig, ax = plt.subplots(figsize=(13, 4), dpi=100)
    ax.set_title("wide", fontsize=10)
    ((text, size),) = [s for s in figures.displayed_font_sizes(fig) if s[0] == "wide"]
    assert size == pytest.approx(10 * 100 / 96 * 752 / 1300)
    assert size < figures.MIN_DISPLAYED_PT
    # 7.5 in at 100 dpi is shown at its own size: 10 pt shows as 10.4 pt.
    fig.set_size_inches(7.5, 4)
    ((text, size),) = [s for s in figures.displayed_font_sizes(fig) if s[0] == "wide"]
    assert size == pytest.approx(10 * 100 / 96)
    plt.close("all")
