"""MCE's time-zone objects (``longName``, ``shortName``, ``offset``, ``dst``) for seeded users.

Two wire forms, as REFERENCE's examples show them: ``/v2/userinfo`` (§1.2) writes the
offset as a JSON integer (``0``, ``-8``) and ends the ``longName`` of a zone that
observes daylight saving with `` *``; the legacy SSO JWT (§1.3) writes the offset as a
float (``-6.0``).
"""

from __future__ import annotations

__all__ = ["SERVER_ZONE", "jwt_timezone", "userinfo_timezone"]

#: The MCE server zone: Central Standard Time all year (the legacy JWT example's zone).
SERVER_ZONE = "CST"

# IANA zone -> (longName without the DST marker, shortName, offset hours, observes DST)
_ZONES: dict[str, tuple[str, str, int, bool]] = {
    "America/Chicago": ("(GMT-06:00) Central Time (US & Canada)", "GMT-6", -6, True),
    "America/New_York": ("(GMT-05:00) Eastern Time (US & Canada)", "GMT-5", -5, True),
    "Europe/Berlin": (
        "(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
        "GMT+1",
        1,
        True,
    ),
    "Europe/London": ("(GMT) Dublin, Edinburgh, Lisbon, London", "GMT+0", 0, True),
    SERVER_ZONE: ("(GMT-06:00) Central Time (No Daylight Saving)", "CST", -6, False),
}


def userinfo_timezone(zone: str) -> dict[str, object]:
    """The ``timezone`` object of ``/v2/userinfo`` for an IANA zone (server zone when unknown)."""
    long_name, short_name, offset, dst = _ZONES.get(zone, _ZONES[SERVER_ZONE])
    return {
        "longName": f"{long_name} *" if dst else long_name,
        "shortName": short_name,
        "offset": offset,
        "dst": dst,
    }


def jwt_timezone(zone: str) -> dict[str, object]:
    """The ``timezone`` object of the legacy SSO JWT (offset as a float, no DST marker)."""
    long_name, short_name, offset, dst = _ZONES.get(zone, _ZONES[SERVER_ZONE])
    return {"longName": long_name, "shortName": short_name, "offset": float(offset), "dst": dst}
