"""What gets generated for one BU: sizes per scale, keys, ids, and table names.

Sizes are **[sim]** choices. The parent keeps more subscribers than its ``Subscribers`` DE
(1,500 rows; children 375) so every DE key joins and some ``_Subscribers`` keys have no DE row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.dataviews.sql import Mixer, key_for

__all__ = ["SIZES", "TRACKING_DAYS", "BuPlan", "Size", "staging_name", "table_name"]

#: Tracking data spans this many days before "now" (REFERENCE: six months are retained).
TRACKING_DAYS = 180


@dataclass(frozen=True, slots=True)
class Size:
    """Subscribers, sends (jobs) and journeys of one BU."""

    subscribers: int
    jobs: int
    journeys: int


#: ``scale`` → (parent BU, child BU).
SIZES: dict[str, tuple[Size, Size]] = {
    "small": (Size(2_000, 16, 3), Size(500, 8, 2)),
    "medium": (Size(20_000, 40, 6), Size(2_000, 16, 3)),
    "large": (Size(100_000, 60, 8), Size(5_000, 20, 4)),
}


def table_name(mid: int, view: str) -> str:
    """``dv_<mid>_<view without underscore>``: never collides with DE tables (``de_<hex>``)."""
    return f"dv_{mid}_{view.lstrip('_').lower()}"


def staging_name(mid: int, part: str) -> str:
    """A temporary table used while generating (double underscore: no view has that name)."""
    return f"dv_{mid}__{part}"


@dataclass(frozen=True, slots=True)
class BuPlan:
    """Everything the SQL builders need about one BU, fixed when generation starts."""

    mid: int
    eid: int
    seed: int
    size: Size
    now: datetime
    bu_name: str
    company: str
    user_ids: tuple[int, ...]

    @property
    def rng(self) -> Mixer:
        """Decisions of this BU (tracking, statuses): differ between BUs."""
        return Mixer(key_for("dataviews", self.seed, self.mid))

    @property
    def people(self) -> Mixer:
        """Decisions about a person (name, email): the same in every BU of the enterprise."""
        return Mixer(key_for("people", self.seed, self.eid))

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=TRACKING_DAYS)

    @property
    def subscriber_id_base(self) -> int:
        """SubscriberIDs are enterprise-wide: ``SUB-000042`` has one ID in every BU."""
        return 10_000_000 + key_for("subscriber-ids", self.seed, self.eid) % 80_000 * 1_000

    @property
    def job_id_base(self) -> int:
        return 100_000 + key_for("job-ids", self.seed, self.mid) % 800_000 * 1_000

    @property
    def list_id_base(self) -> int:
        """ListID of "All Subscribers"; +1 is the "Newsletter" list."""
        return 1_000 + key_for("list-ids", self.seed, self.mid) % 8_000 * 10

    @property
    def email_domain(self) -> str:
        """The sender's domain, from the enterprise's company name."""
        company = "".join(ch for ch in self.company.lower() if ch.isalnum())
        return (company or "example") + ".example.com"

    def table(self, view: str) -> str:
        return table_name(self.mid, view)

    def staging(self, part: str) -> str:
        return staging_name(self.mid, part)
