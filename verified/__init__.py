"""The page engine: run every Python block of a docs page in one session and check its printed output."""

from verified.engine import PageReport, check_page, update_page

__all__ = ["PageReport", "check_page", "update_page"]
