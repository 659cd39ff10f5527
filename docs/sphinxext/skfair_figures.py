"""Sphinx-gallery image scraper that refuses figures too small to read.

The gallery's figures are shown in the theme's content column (752 CSS px at a
1280 px window; docs/_static/skfair.css). A figure wider than the column is
shrunk by the browser, and with it every label: an 13 in figure at 100 dpi
lands at half size, so its 10 pt tick labels read as 5 pt. This scraper works
out, for each figure, the size at which each of its texts is displayed and
warns (an error under ``sphinx-build -W``) when one is below
:data:`MIN_DISPLAYED_PT`; then it hands the figure to sphinx-gallery's own
matplotlib scraper, which also writes the 2x image of ``image_srcset``.
"""

from matplotlib.text import Text

#: Width of the content column, in CSS pixels, at a 1280 px window.
COLUMN_PX = 752
#: Smallest font size, in points at the displayed size, that a figure may use.
MIN_DISPLAYED_PT = 10
_CSS_PX_PER_PT = 96 / 72


def displayed_font_sizes(fig, column_px=COLUMN_PX):
    """Sizes, in displayed points, of a figure's visible texts.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, at the dpi it is saved with (the 1x image).
    column_px : float, default=COLUMN_PX
        Width in CSS pixels of the column the image is shown in.

    Returns
    -------
    sizes : list of (str, float)
        ``(text, size)`` pairs, for every visible, non-empty text artist.
    """
    width_px = fig.get_figwidth() * fig.dpi
    # One figure pixel is one CSS pixel (the 2x image is drawn at the 1x
    # image's size), unless the browser shrinks the image to the column.
    scale = min(1.0, column_px / width_px)
    px_per_pt = fig.dpi / 72 * scale
    return [
        (text.get_text(), text.get_fontsize() * px_per_pt / _CSS_PX_PER_PT)
        for text in fig.findobj(Text)
        if text.get_visible() and text.get_text().strip()
    ]


def legible_matplotlib_scraper(block, block_vars, gallery_conf, **kwargs):
    """Check each open figure's displayed font sizes, then scrape it."""
    # Imported here, so that displayed_font_sizes (and its tests) need
    # matplotlib only, not the docs extra.
    import matplotlib.pyplot as plt
    from sphinx.util import logging
    from sphinx_gallery.scrapers import matplotlib_scraper

    logger = logging.getLogger(__name__)

    for num in plt.get_fignums():
        fig = plt.figure(num)
        small = [
            (text, size)
            for text, size in displayed_font_sizes(fig)
            if size < MIN_DISPLAYED_PT - 1e-9
        ]
        if small:
            text, size = min(small, key=lambda pair: pair[1])
            logger.warning(
                "%s: figure %d (%.1f x %.1f in at %g dpi) shows %d text(s) below "
                "%g pt at the displayed size, e.g. %r at %.1f pt; make the figure "
                "at most %d px wide and its fonts at least %g pt",
                block_vars["src_file"],
                num,
                fig.get_figwidth(),
                fig.get_figheight(),
                fig.dpi,
                len(small),
                MIN_DISPLAYED_PT,
                text,
                size,
                COLUMN_PX,
                MIN_DISPLAYED_PT,
            )
    return matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)
