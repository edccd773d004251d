"""Reading ``Retry-After`` (RFC 9110 §10.2.3): delay seconds or an HTTP-date.

MCE sends seconds (``Retry-After: 5``, REFERENCE §4.7), but proxies and load balancers in
front of it may send a date; both mean "not before then". A value we cannot read, a
negative or non-finite one, is ignored (the pipeline falls back to its own backoff); a
date in the past means "now". A huge value is returned as is: the pipeline hands it to
the caller rather than holding a worker.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["parse_retry_after"]


def parse_retry_after(raw: object, *, now: datetime | None = None) -> float | None:
    """Seconds to wait, or ``None`` when ``raw`` (a header or body value) is unreadable."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        seconds = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or not text.isascii():
            return None
        try:
            seconds = float(text)
        except ValueError:
            return _from_date(text, now)
    else:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _from_date(text: str, now: datetime | None) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": UTC by RFC 5322
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
