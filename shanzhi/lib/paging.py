"""Pages of long lists whose total is counted only up to a cap: "10,000+ 件", with pages still navigable.

Counting a million rows to print "第 3 / 20,000 页" costs more than the page itself; past `cap` rows the
count says "cap+" and the pager offers the next page as long as one more row exists (each page fetches
one row beyond its own). Page numbers are read leniently like Django's `Paginator.get_page`: garbage
means page 1, a page past a known end means the last page, and nothing beyond `max_page` is walked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DEFAULT_CAP = 10_000
MAX_PAGE = 2_000  # deeper than this, narrow the list with filters or dates (a page there walks 100,000 rows)


def page_number(value, *, max_page: int = MAX_PAGE) -> int:
    """The page asked for: a number from 1 to max_page; a larger number is max_page, anything else page 1."""
    text = str(value or "").strip()
    if text.isascii() and text.isdigit():
        return max(1, min(int(text[:12]) if len(text) <= 12 else max_page, max_page))
    return 1


@dataclass
class CappedPaginator:
    """What the pager shows: `count` rows if `exact`, else more than `cap` (counting stopped there)."""

    count: int
    per_page: int
    cap: int = DEFAULT_CAP
    exact: bool = True

    @property
    def capped(self) -> bool:
        return not self.exact

    @property
    def num_pages(self) -> int:
        """Pages of the counted rows (at least 1); past the cap, the pages of the first `cap` rows."""
        return max(1, math.ceil((self.count if self.exact else self.cap) / self.per_page))

    @property
    def count_label(self) -> str:
        """"1,234" or "10,000+"."""
        shown = f"{self.count if self.exact else self.cap:,}"
        return f"{shown}+" if self.capped else shown

    @property
    def num_pages_label(self) -> str:
        return f"{self.num_pages:,}+" if self.capped else f"{self.num_pages:,}"


@dataclass
class CappedPage:
    """One page: the template interface of Django's Page (object_list, number, has_next...)."""

    object_list: list
    number: int
    paginator: CappedPaginator
    more: bool = False  # a row exists after this page
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


def clamp(number: int, count: int, per_page: int, cap: int, *, exact: bool, max_page: int = MAX_PAGE) -> int:
    """The page to show for `number` once the count is known: past a known end, the last page."""
    if exact:
        return max(1, min(number, math.ceil(count / per_page) or 1))
    return max(1, min(number, max_page))
