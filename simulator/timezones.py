"""MCE's time-zone objects (``longName``, ``shortName``, ``offset``, ``dst``) for seeded users."""

from __future__ import annotations

__all__ = ["SERVER_TIMEZONE", "mce_timezone"]

_ZONES: dict[str, dict[str, object]] = {
    "America/Chicago": {
        "longName": "(GMT-06:00) Central Time (US & Canada)",
        "shortName": "GMT-6",
        "offset": -6,
        "dst": True,
    },
    "America/New_York": {
        "longName": "(GMT-05:00) Eastern Time (US & Canada)",
        "shortName": "GMT-5",
        "offset": -5,
        "dst": True,
    },
    "Europe/Berlin": {
        "longName": "(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
        "shortName": "GMT+1",
        "offset": 1,
        "dst": True,
    },
    "Europe/London": {
        "longName": "(GMT) Dublin, Edinburgh, Lisbon, London",
        "shortName": "GMT+0",
        "offset": 0,
        "dst": True,
    },
}

#: The MCE server zone (CST without DST), as the legacy JWT example shows it.
SERVER_TIMEZONE: dict[str, object] = {
    "longName": "(GMT-06:00) Central Time (No Daylight Saving)",
    "shortName": "CST",
    "offset": -6.0,
    "dst": False,
}


def mce_timezone(zone: str) -> dict[str, object]:
    """The MCE time-zone object for an IANA zone (server zone when unknown)."""
    return dict(_ZONES.get(zone, SERVER_TIMEZONE))
