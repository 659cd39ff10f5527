"""Write one benchmark's section of benchmarks/RESULTS.md.

Each benchmark script owns one section, delimited by HTML comments, so that
scripts can be rerun one at a time without clobbering each other's figures.
"""

import platform
import re
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
_HEADER = (
    "# skfair benchmark results\n\nFigures measured by the scripts in benchmarks/.\n"
)


def machine_line():
    """One line naming when and where the figures were measured."""
    import numpy
    import sklearn

    return (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{platform.machine()} / Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, scikit-learn {sklearn.__version__}."
    )


def write_section(name, markdown):
    """Replace (or append) the section called ``name`` in RESULTS.md."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else _HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)
