"""Search queries built from user input that can only mean what it says.

Every piece of a query comes from one of these builders: text is reduced to its
words, each quoted; tag values have every non-word character escaped; numeric
bounds are checked to be numbers. Whatever a user types (`*`, `-`, `@amount:[0
inf]`, quotes, unbalanced brackets) is therefore searched literally or refused
with InvalidInput, never read as query syntax.
"""

import math
import re
from datetime import datetime

from redisbank import config
from redisbank.errors import InvalidInput

# RediSearch splits text into words at punctuation and spaces; matching the
# user's words, each quoted, is searching the text literally.
_WORD = re.compile(r"\w+", re.UNICODE)

# In a tag query, any character that is not a letter, digit or underscore may
# be syntax ({ } | , spaces, quotes...), so all of them are escaped.
_TAG_SPECIAL = re.compile(r"[^A-Za-z0-9_]")

TEXT_FIELDS = ("description_fts", "vendor_fts")


def text_clause(term: str, prefix: bool = False) -> str:
    """Return a clause matching documents whose description or vendor has every word.

    With prefix, the last word also matches words it begins ("coff" finds
    "coffee"), as a search box that searches while the user types needs; it
    must then have at least PREFIX_MIN_CHARS characters. Refuses a term longer
    than SEARCH_TERM_MAX_CHARS or without any letter or digit, since it could
    only match everything or nothing.
    """
    if not isinstance(term, str):
        raise InvalidInput(f"a search term is text, not {type(term).__name__}")
    if len(term) > config.SEARCH_TERM_MAX_CHARS:
        raise InvalidInput(
            f"search terms are at most {config.SEARCH_TERM_MAX_CHARS} characters, "
            f"this one has {len(term)}: shorten it"
        )
    words = _WORD.findall(term)
    if not words:
        raise InvalidInput(f"{term!r} has no letters or digits to search for")
    quoted = [f'"{word}"' for word in words]
    if prefix and len(words[-1]) >= config.PREFIX_MIN_CHARS:
        # A bare word of letters and digits followed by * is a prefix query;
        # \w+ admits nothing else, so nothing can be injected here either.
        quoted[-1] = f"{words[-1]}*"
    return f"@{'|'.join(TEXT_FIELDS)}:({' '.join(quoted)})"


def escape_tag(value: str) -> str:
    """Return value escaped for use inside a tag query's braces."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"a tag value is non-empty text, not {value!r}")
    if len(value) > config.SEARCH_TERM_MAX_CHARS:
        raise InvalidInput(
            f"tag values are at most {config.SEARCH_TERM_MAX_CHARS} characters, "
            f"this one has {len(value)}"
        )
    if not value.isascii() or not value.isprintable():
        raise InvalidInput(
            f"{value!r} is not a transaction type or account: those are plain "
            "ASCII, like 'Debit card' or 'RB-0000-0001'"
        )
    return _TAG_SPECIAL.sub(lambda match: "\\" + match.group(), value)


def tag_clause(field: str, value: str) -> str:
    """Return a clause matching documents whose tag field equals value."""
    return f"@{field}:{{{escape_tag(value)}}}"


def account_clause(account: str) -> str:
    """Return a clause matching transactions from or to account."""
    escaped = escape_tag(account)
    return f"(@from_account:{{{escaped}}} | @to_account:{{{escaped}}})"


def numeric_clause(
    field: str, low: int | float | None = None, high: int | float | None = None
) -> str:
    """Return an inclusive range clause; None leaves that end open.

    Only real, finite numbers are accepted (not text, not booleans), so a bound
    can never carry syntax of its own.
    """
    bounds = [_bound(field, low, "-inf"), _bound(field, high, "+inf")]
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"the {field} range {low} to {high} is empty: swap them")
    return f"@{field}:[{bounds[0]} {bounds[1]}]"


def _bound(field: str, value, open_end: str) -> str:
    if value is None:
        return open_end
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"a {field} bound is a number, not {value!r}")
    if not math.isfinite(value):
        raise InvalidInput(f"a {field} bound is finite, not {value!r}; omit it")
    return repr(value)


def date_clause(since: datetime | None = None, until: datetime | None = None) -> str:
    """Return a clause for transactions dated from since to until, both inclusive."""
    for moment in (since, until):
        if moment is not None and (
            not isinstance(moment, datetime) or moment.tzinfo is None
        ):
            raise InvalidInput(
                f"dates are timezone-aware datetimes, not {moment!r}: add tzinfo=UTC"
            )
    return numeric_clause(
        "transaction_date",
        None if since is None else since.timestamp(),
        None if until is None else until.timestamp(),
    )


def check_page(offset: int, limit: int) -> None:
    """Refuse a page that is not within the index's limits."""
    for name, value in (("offset", offset), ("limit", limit)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{name} is a whole number, not {value!r}")
    if not 1 <= limit <= config.SEARCH_PAGE_MAX:
        raise InvalidInput(
            f"limit must be between 1 and {config.SEARCH_PAGE_MAX}, not {limit}"
        )
    if not 0 <= offset <= config.SEARCH_OFFSET_MAX:
        raise InvalidInput(
            f"offset must be between 0 and {config.SEARCH_OFFSET_MAX}, not {offset}: "
            "narrow the search with dates instead of paging that far"
        )
