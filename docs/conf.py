"""Sphinx configuration of the skfair documentation.

Build (from the repository root; warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W -b doctest docs docs/_build/doctest

Everything here works offline: no intersphinx, and the built site loads no
script, stylesheet or font from another host (MathJax is copied into _static
by sphinx-mathjax-offline; tests/test_docs_assets.py checks a built site).
"""

import doctest
import importlib
import os
import re
import sys
from pathlib import Path

# The gallery fits many small models one after the other; with several BLAS
# threads per fit they only contend (badly so on a busy 2-core CI machine).
# Set before NumPy is first imported (by matplotlib); an explicit setting wins.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib  # noqa: E402
from sphinx.util import logging  # noqa: E402

matplotlib.use("Agg")  # the gallery runs without a display

# Import skfair from this checkout even when it is not installed, and the
# docs' own helpers (sphinxext/).
_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT))
sys.path.insert(0, str(_ROOT / "docs" / "sphinxext"))

import offline_assets  # noqa: E402

import skfair  # noqa: E402

logger = logging.getLogger(__name__)

project = "skfair"
author = "The skfair developers"
copyright = "the skfair developers"
release = skfair.__version__
version = re.match(r"\d+\.\d+", release).group(0)

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    # Ships MathJax 3 (scripts and fonts) and copies it into _static/mathjax
    # at the end of the build; it points mathjax_path there.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "myst_parser",  # renders benchmarks/RESULTS.md (benchmark_results.md)
]

templates_path = ["_templates"]
# examples/ holds the gallery's sources; sphinx-gallery turns them into
# auto_examples/, which is what the toctree includes.
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"  # `x` is code, as in numpydoc docstrings

# -- autodoc / autosummary / numpydoc -----------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc docstrings already give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates set_{method}_request on every estimator, with a
    # docstring that links into scikit-learn's own user guide. Our user guide
    # (sensitive_features.rst) documents them once instead.
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


_SHAPE = re.compile(r"shape \(([^)]*)\)")
_TRAILING_UNDERSCORE_NAME = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")


def _quote_attribute_names_in_shapes(app, what, name, obj, options, lines):
    # "ndarray of shape (n_features_in_,)" reads, in reST, as a reference to a
    # target "n_features_in"; scikit-learn writes (`n_features_in_`,) for
    # that reason. Quote such names inside "shape (...)" before numpydoc
    # renders the docstring (this handler runs first: lower priority value).
    for i, line in enumerate(lines):
        lines[i] = _SHAPE.sub(
            lambda m: "shape (" + _TRAILING_UNDERSCORE_NAME.sub(r"`\1`", m[1]) + ")",
            line,
        )


# -- doctest ------------------------------------------------------------------

# No doctest_global_setup: every import a reader needs is in the visible code.
# The pages' doctests round floats explicitly; these flags only relax layout.
doctest_default_flags = (
    doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.DONT_ACCEPT_TRUE_FOR_1
)

# -- sphinx-gallery -----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skfair",),
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    # A failing example fails the build (once the others have run).
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    # No sg_execution_times.rst in the (tracked) source tree.
    "write_computation_times": False,
    "min_reported_time": 1,
    # Show printed output only, not the repr of a block's last expression
    # (a fitted estimator's HTML diagram would embed scikit-learn's docs).
    "capture_repr": (),
    # Figures are sized for the content column; the scraper warns (an error
    # under -W) about any text below 10 pt at the displayed size. Each figure
    # is also saved at twice the resolution for sharp screens.
    "image_scrapers": ("skfair_figures.legible_matplotlib_scraper",),
    "image_srcset": ["2x"],
}

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skfair {release}"
html_static_path = ["_static"]
html_css_files = ["skfair.css"]
html_theme_options = {
    # Nothing that would fetch from another host: no icon links, no version
    # switcher JSON, no analytics.
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": [],
}
# The landing page has no section tree to show: give its width to the text.
html_sidebars = {"index": []}
html_show_sourcelink = False

# The page's section list names methods without their class prefix.
toc_object_entries_show_parents = "hide"

# Copying a doctest block gives runnable code: the prompts and the printed
# output are left out.
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- MyST (Markdown) ----------------------------------------------------------

# GitHub-style anchors on RESULTS.md's headings, for its table of sections.
myst_heading_anchors = 3


def _no_gallery_execution_for_doctest(app):
    # The doctest builder only checks the pages' doctests; running the
    # gallery scripts again there would double CI time. Their pages are still
    # generated (without figures) so that the toctree resolves.
    if app.builder.name == "doctest":
        app.config.plot_gallery = "False"


_PUBLIC_SUBPACKAGES = [
    "skfair.metrics",
    "skfair.preprocessing",
    "skfair.inprocessing",
    "skfair.postprocessing",
    "skfair.datasets",
    "skfair.utils",
]


def _names_in_api_page(path):
    """{module: names listed in autosummary tables} of api.rst."""
    listed, module, in_table = {}, None, False
    for line in Path(path).read_text().splitlines():
        if line.startswith(".. currentmodule::"):
            module = line.split("::", 1)[1].strip()
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and re.fullmatch(r"   \w+", line):
            listed.setdefault(module, set()).add(line.strip())
        elif in_table and line and not line.startswith(" "):
            in_table = False
    return listed


def _check_api_page_is_complete(app):
    # The API reference must list every public name: a name added to a
    # subpackage's __all__ without a line in api.rst fails the (-W) build.
    listed = _names_in_api_page(Path(app.srcdir) / "api.rst")
    for module_name in _PUBLIC_SUBPACKAGES:
        module = importlib.import_module(module_name)
        missing = sorted(set(module.__all__) - listed.get(module_name, set()))
        if missing:
            logger.warning(
                "api.rst does not list %s from %s.__all__", missing, module_name
            )


def _check_offline_assets(app, exc):
    # The built site must load nothing from another host (no CDN): any such
    # reference, or a local one to a missing file, fails the (-W) build.
    if exc is None and app.builder.format == "html":
        for problem in offline_assets.find_problems(app.outdir):
            logger.warning("offline site: %s", problem)


def setup(app):
    # After sphinx-mathjax-offline has copied MathJax (default priority 500).
    app.connect("build-finished", _check_offline_assets, priority=900)
    app.connect("builder-inited", _check_api_page_is_complete)
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
    app.connect(
        "autodoc-process-docstring", _quote_attribute_names_in_shapes, priority=100
    )
    # Before sphinx-gallery reads plot_gallery (its handler has priority 10).
    app.connect("builder-inited", _no_gallery_execution_for_doctest, priority=5)
