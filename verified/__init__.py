"""The page engine: run every Python block of a docs page in one session and check its printed output."""

import os

# Imported before mkdocs loads its plugins (verified.katex is a Markdown extension): mkdocs-jupyter imports nbconvert's
# command-line app, whose list of formats builds every exporter that any installed package registers, about 0.4 s of
# every build; the site converts with one exporter, named. nbconvert's documented switch skips that list.
os.environ.setdefault("NBCONVERT_DISABLE_CONFIG_EXPORTERS", "1")

from verified.engine import PageReport, check_page, update_page

__all__ = ["PageReport", "check_page", "update_page"]
