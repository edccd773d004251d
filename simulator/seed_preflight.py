"""Seed data for pre-flight checks (issue 15): DEs, rows, a query activity and an automation
in the QA BU that trigger every finding, static and probed.

``Preflight Signups`` (200 rows) is the source; a query writing it into ``Preflight Members``
meets each failure a probe measures: 37 rows share 12 ``SignupKey`` values (duplicate primary
keys), 9 rows have no ``Email`` (a required field), 14 ``FullName`` values are longer than the
target's 20 characters (the longest 47), and 5 sign-ups' keys are already rows of the target
(an Append fails on them). ``Preflight Typed`` and ``Preflight Log`` are targets for the
static findings (types that do not convert, a Decimal too narrow, no primary key for Update).
``Preflight Refresh Members`` writes into ``Preflight Members`` and the automation
``Preflight Nightly`` runs it; ``Preflight Log Writer`` writes into the log, in no automation.

Everything is made after the rest of the seed, from its own random stream, so the seeded
enterprise before it is byte for byte what it always was.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simulator.automations import QUERY_OBJECT_TYPE, ActivitySpec
from simulator.model import BusinessUnit, DataExtension
from simulator.seed_data import FIRST_NAMES, LAST_NAMES, preflight_templates
from simulator.seed_rows import load_seed_rows

if TYPE_CHECKING:
    from simulator.automations import Automations
    from simulator.store import Store

__all__ = [
    "DUPLICATE_KEYS",
    "DUPLICATE_ROWS",
    "KEYS_IN_MEMBERS",
    "LONGEST_NAME",
    "MISSING_EMAILS",
    "NAME_LIMIT",
    "SIGNUPS",
    "TOO_LONG_NAMES",
    "seed_preflight",
    "seed_preflight_automations",
]

SIGNUPS = 200
DUPLICATE_KEYS = 12
DUPLICATE_ROWS = 37  # 11 keys three times, one four times
MISSING_EMAILS = 9
TOO_LONG_NAMES = 14
NAME_LIMIT = 20
LONGEST_NAME = 47
KEYS_IN_MEMBERS = 5

_REFRESH = (
    "SELECT SignupKey AS MemberKey, Email, LEFT(FullName, 20) AS FullName, Country"
    " FROM [Preflight Signups] WHERE Email IS NOT NULL"
)
_LOG = (
    "SELECT CONCAT('Sign-up ', SignupKey) AS Message, SignedUpAt AS LoggedAt"
    " FROM [Preflight Signups]"
)
_EPOCH = datetime(2024, 1, 1)


def _key(i: int) -> str:
    """Rows 163..199 take the 12 duplicated keys (11 three times, the last four times)."""
    if i < SIGNUPS - DUPLICATE_ROWS:
        return f"SGN-{i:05d}"
    return f"DUP-{min((i - (SIGNUPS - DUPLICATE_ROWS)) // 3, DUPLICATE_KEYS - 1) + 1:02d}"


def _name(rng: random.Random, i: int) -> str:
    if i % 14 == 3 and i < 190:  # 14 rows (3, 17, ..., 185): longer than the target's 20
        name = f"{rng.choice(FIRST_NAMES)} Maximiliana Featherstonehaugh-Wolfeschlegel"
        return (name + " " * LONGEST_NAME)[: LONGEST_NAME - (i % 5)].rstrip()
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"[:NAME_LIMIT].rstrip()


def _signup(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "SignupKey": _key(i),
        "Email": None if i % 22 == 5 else f"signup{i}@example.com",  # 9 rows: 5, 27, ..., 181
        "FullName": _name(rng, i),
        "Country": rng.choice(("US", "GB", "DE", "FR")),
        "Points": rng.randint(0, 5_000),
        "SignedUpAt": _EPOCH + timedelta(minutes=rng.randint(0, 400_000)),
        "Balance": Decimal(rng.randint(0, 10_000_000)) / 100,
        "Newsletter": rng.random() < 0.5,
        "Referrer": rng.choice(("search", "friend", "ad", "newsletter")),
    }


def _member(i: int) -> dict[str, Any]:
    return {
        "MemberKey": _key(i),
        "Email": f"member{i}@example.com",
        "FullName": f"Member {i}",
        "Country": "US",
        "Tier": "Gold",
    }


def seed_preflight(store: Store, bu: BusinessUnit, *, seed: int, with_rows: bool) -> None:
    """The pre-flight DEs, rows and query activities of ``bu`` (the QA BU)."""
    mid = bu.mid
    de_root = store.root_folder(mid, "dataextension")
    query_root = store.root_folder(mid, "queryactivity")
    assert de_root is not None and query_root is not None
    folder = store.create_folder(
        mid=mid, name="Preflight", content_type="dataextension", parent_id=de_root.id
    )
    templates = preflight_templates()
    made = {}
    for name, key, template in (
        ("Preflight Signups", "preflight_signups", "signups"),
        ("Preflight Members", "preflight_members", "members"),
        ("Preflight Typed", "preflight_typed", "typed"),
        ("Preflight Log", "preflight_log", "log"),
    ):
        made[template] = store.create_de(
            mid=mid, name=name, customer_key=key, folder_id=folder.id,
            fields=templates[template], description=f"Pre-flight check data: {template}",
        )  # fmt: skip
    if with_rows:
        _load_rows(store, made["signups"], made["members"], salt=f"{seed}-{mid}")
    store.create_query(
        mid=mid, name="Preflight Refresh Members", customer_key="preflight_refresh_members",
        query_text=_REFRESH, target_key="preflight_members", target_update_type="Update",
        folder_id=query_root.id, description="Pre-flight check data: runs in an automation",
    )  # fmt: skip
    store.create_query(
        mid=mid, name="Preflight Log Writer", customer_key="preflight_log_writer",
        query_text=_LOG, target_key="preflight_log", target_update_type="Append",
        folder_id=query_root.id, description="Pre-flight check data: in no automation",
    )  # fmt: skip


def _load_rows(store: Store, signups: DataExtension, members: DataExtension, *, salt: str) -> None:
    def make_signups() -> list[dict[str, Any]]:
        rng = random.Random(f"rows-{salt}-preflight")
        return [_signup(rng, i) for i in range(SIGNUPS)]

    def make_members() -> list[dict[str, Any]]:
        return [_member(i) for i in range(KEYS_IN_MEMBERS)]

    load_seed_rows(store.rows, signups, key=f"signups-{SIGNUPS}-{salt}", make_rows=make_signups)
    load_seed_rows(store.rows, members, key=f"members-{KEYS_IN_MEMBERS}", make_rows=make_members)


def seed_preflight_automations(automations: Automations, store: Store) -> None:
    """``Preflight Nightly``, running ``Preflight Refresh Members`` (in the BU that has it)."""
    for mid in store.business_units:
        query = store.get_query(mid, customer_key="preflight_refresh_members")
        if query is None:
            continue
        automations.create(
            mid=mid, name="Preflight Nightly", customer_key="preflight_nightly",
            description="Pre-flight check data: refreshes the members",
            steps=[[ActivitySpec(query.object_id, QUERY_OBJECT_TYPE, name=query.name)]],
        )  # fmt: skip
