"""Deterministic seed data: same ``seed`` and ``scale`` → the same enterprise, byte for byte.

One enterprise with a parent BU and three children, users with different BU access,
a folder tree per BU, hand-made DEs of every field type with realistic rows
(a sendable subscribers DE, orders spanning several 2,500-row pages, a DE with
spaces in its name and field names, shared DEs in the parent), and, for
``medium``/``large``, thousands of metadata-only DEs in the parent BU.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from simulator.model import BusinessUnit, DataExtension, Package, User
from simulator.seed_data import (
    CITIES,
    COMPANIES,
    COUNTRIES,
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    LOCALES,
    ORDER_STATUSES,
    PACKAGE_SCOPES,
    PRODUCT_WORDS,
    de_templates,
)
from simulator.seed_preflight import seed_preflight
from simulator.seed_rows import load_seed_rows
from simulator.store import FieldSpec, Store

__all__ = ["BULK_COUNTS", "seed_store"]

#: Metadata-only DEs added to the parent BU per scale: (DEs, fields per DE, folders).
BULK_COUNTS = {"small": (0, 0, 0), "medium": (1_000, 10, 20), "large": (10_000, 15, 100)}
_BULK_TYPES = ("Text", "Number", "Date", "Boolean", "EmailAddress", "Phone", "Decimal", "Locale")
_EPOCH = datetime(2022, 1, 1)

Row = dict[str, Any]


def _token(
    rng: random.Random, length: int, alphabet: str = string.ascii_lowercase + string.digits
) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _mid(rng: random.Random, taken: set[int]) -> int:
    while True:
        mid = rng.randint(10_000_000, 599_999_999)
        if mid not in taken:
            taken.add(mid)
            return mid


def seed_store(
    store: Store,
    *,
    seed: int,
    scale: str,
    redirect_uris: list[str],
    with_rows: bool,
    extra_child_bus: int = 0,
) -> None:
    """Fill an empty store (and its rows) for ``seed`` and ``scale``; ``extra_child_bus``
    more children are added last (see :func:`_seed_extra_children`)."""
    rng = random.Random(f"seed-{seed}")
    company = rng.choice(COMPANIES)
    taken: set[int] = set()
    eid = _mid(rng, taken)
    store.enterprise.eid = eid
    store.enterprise.name = company
    store.enterprise.tssd = f"mc{_token(rng, 15)}-{_token(rng, 10)}"
    store.enterprise.stack_key = f"S{rng.choice((1, 4, 6, 7, 10, 50))}"
    parent = store.add_business_unit(
        BusinessUnit(mid=eid, name=company, parent_mid=None, customer_key=f"BU_{eid}")
    )
    children = []
    for label in ("Marketing US", "Marketing EU", "QA Sandbox"):
        mid = _mid(rng, taken)
        children.append(
            store.add_business_unit(
                BusinessUnit(
                    mid=mid, name=f"{company} {label}", parent_mid=eid, customer_key=f"BU_{mid}"
                )
            )
        )
    us, eu, qa = children
    _seed_users(store, rng, company=company, parent=parent, us=us, eu=eu, qa=qa)
    _seed_packages(store, rng, redirect_uris=redirect_uris)
    for bu in [parent, *children]:
        _seed_bu(store, bu, seed=seed, with_rows=with_rows, is_parent=bu is parent)
    _seed_bulk(store, parent, rng, scale=scale)
    _seed_extra_children(
        store, parent, seed=seed, count=extra_child_bus, taken=taken, with_rows=with_rows
    )
    seed_preflight(store, qa, seed=seed, with_rows=with_rows)


def _seed_extra_children(
    store: Store,
    parent: BusinessUnit,
    *,
    seed: int,
    count: int,
    taken: set[int],
    with_rows: bool,
) -> None:
    """``count`` more child BUs (``<company> Region 01`` ...) seeded like the others
    **[sim]**, reachable by ``ada.admin`` and enabled for both packages.

    They are made after everything else from their own random stream, so a seed without
    extra children is byte for byte what it always was, and one with N has the same first
    N children as one with more.
    """
    if count <= 0:
        return
    rng = random.Random(f"seed-{seed}-extra-children")
    admin = next(u for u in store.users.values() if u.username == "ada.admin")
    added: list[int] = []
    for n in range(1, count + 1):
        mid = _mid(rng, taken)
        bu = store.add_business_unit(
            BusinessUnit(
                mid=mid,
                name=f"{parent.name} Region {n:02d}",
                parent_mid=parent.mid,
                customer_key=f"BU_{mid}",
            )
        )
        _seed_bu(store, bu, seed=seed, with_rows=with_rows, is_parent=False)
        added.append(mid)
    admin.reachable_mids = (*admin.reachable_mids, *added)
    for package in store.packages.values():
        package.mids = (*package.mids, *added)


def _seed_users(
    store: Store,
    rng: random.Random,
    *,
    company: str,
    parent: BusinessUnit,
    us: BusinessUnit,
    eu: BusinessUnit,
    qa: BusinessUnit,
) -> None:
    domain = company.lower().replace(" ", "") + ".example.com"
    plans = [
        (
            "ada.admin",
            "Ada Admin",
            "en-US",
            "America/Chicago",
            parent.mid,
            (parent.mid, us.mid, eu.mid, qa.mid),
        ),
        ("mia.marketer", "Mia Marketer", "en-US", "America/New_York", us.mid, (us.mid, eu.mid)),
        ("eve.europe", "Eve Europe", "de-DE", "Europe/Berlin", eu.mid, (eu.mid,)),
        ("pat.parent", "Pat Parent", "en-GB", "Europe/London", parent.mid, (parent.mid,)),
    ]
    ids: set[int] = set()
    for username, name, locale, tz, default_mid, mids in plans:
        user_id = _mid(rng, ids)
        store.add_user(
            User(
                id=user_id,
                username=username,
                email=f"{username}@{domain}",
                name=name,
                locale=locale,
                time_zone=tz,
                default_mid=default_mid,
                reachable_mids=mids,
            )
        )


def _seed_packages(store: Store, rng: random.Random, *, redirect_uris: list[str]) -> None:
    mids = tuple(store.business_units)
    home = store.enterprise.eid
    store.add_package(
        Package(
            client_id=_token(rng, 24),
            client_secret=_token(rng, 24, string.ascii_letters + string.digits),
            name="Quarry",
            kind="enhanced",
            scopes=PACKAGE_SCOPES,
            mids=mids,
            home_mid=home,
            redirect_uris=list(redirect_uris),
            application_id=store.new_guid(),
        )
    )
    store.add_package(
        Package(
            client_id=_token(rng, 24),
            client_secret=_token(rng, 24, string.ascii_letters + string.digits),
            name="Quarry Legacy SSO",
            kind="legacy",
            scopes=PACKAGE_SCOPES,
            mids=mids,
            home_mid=home,
            jwt_signing_secret=_token(rng, 64, string.ascii_letters + string.digits + "-_"),
            application_id=store.new_guid(),
            login_url="http://127.0.0.1:8000/api/auth/login",
        )
    )


def _seed_bu(
    store: Store, bu: BusinessUnit, *, seed: int, with_rows: bool, is_parent: bool
) -> None:
    mid = bu.mid
    de_root = store.create_folder(
        mid=mid, name="Data Extensions", content_type="dataextension", parent_id=0,
        customer_key="dataextension_default", is_editable=False,
    )  # fmt: skip
    q_root = store.create_folder(
        mid=mid, name="Query", content_type="queryactivity", parent_id=0,
        customer_key="queryactivity_default", is_editable=False,
    )  # fmt: skip
    customers = store.create_folder(
        mid=mid, name="Customers", content_type="dataextension", parent_id=de_root.id
    )
    sales = store.create_folder(
        mid=mid, name="Sales", content_type="dataextension", parent_id=de_root.id
    )
    archive = store.create_folder(
        mid=mid, name="Archive", content_type="dataextension", parent_id=de_root.id
    )
    store.create_folder(mid=mid, name="2023", content_type="dataextension", parent_id=archive.id)
    daily = store.create_folder(
        mid=mid, name="Daily", content_type="queryactivity", parent_id=q_root.id
    )
    store.create_folder(mid=mid, name="Ad hoc", content_type="queryactivity", parent_id=q_root.id)
    tpl = de_templates()
    n = (lambda full: full) if is_parent else (lambda full: full // 4)
    sub, orders, events = _subscriber_row, _order_row, _web_event_row
    plan: list[tuple[str, str, str, int, int, Callable[[random.Random, int], Row], bool]] = [
        ("Subscribers", "Subscribers", "subscribers", customers.id, n(1500), sub, True),
        ("Orders", "Orders", "orders", sales.id, n(6000), orders, False),
        ("Web Events 2024", "web_events_2024", "web_events", customers.id, n(800), events, False),
        ("All Types", "all_types", "all_types", de_root.id, 25, _all_types_row, False),
        ("Empty Staging", "empty_staging", "staging", de_root.id, 0, _all_types_row, False),
        ("Active Subscribers", "active_subscribers", "active_subscribers", customers.id, 0,
         _all_types_row, False),
    ]  # fmt: skip
    for name, key, template, folder_id, rows, make_row, sendable in plan:
        de = store.create_de(
            mid=mid, name=name, customer_key=key, folder_id=folder_id, fields=tpl[template],
            description=f"Seeded {name.lower()} data",
            is_sendable=sendable, sendable_field="SubscriberKey" if sendable else None,
            sendable_subscriber_field="Subscriber Key" if sendable else None,
        )  # fmt: skip
        if with_rows and rows:
            _fill(store, de, rows, make_row, f"{seed}-{mid}-{key}")
    store.create_query(
        mid=mid, name="Refresh Active Subscribers", customer_key="refresh_active_subscribers",
        query_text="SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1",
        target_key="active_subscribers", folder_id=daily.id,
        description="Opted-in subscribers, refreshed daily",
    )  # fmt: skip
    if is_parent:
        shared_root = store.create_folder(
            mid=mid, name="Shared Data Extensions", content_type="shared_data", parent_id=0,
            customer_key="shared_data_default", is_editable=False,
        )  # fmt: skip
        shared = store.create_folder(
            mid=mid, name="Global", content_type="shared_dataextension", parent_id=shared_root.id
        )
        for name, key, template, rows, make_row in (
            ("Shared Products", "shared_products", "products", 300, _product_row),
            ("Shared Suppression List", "shared_suppression", "suppression", 150, _suppression_row),
        ):
            de = store.create_de(
                mid=mid, name=name, customer_key=key, folder_id=shared.id, fields=tpl[template],
                description=f"{name} (shared with every BU)",
            )  # fmt: skip
            if with_rows:
                _fill(store, de, rows, make_row, f"{seed}-{mid}-{key}")


def _fill(
    store: Store,
    de: DataExtension,
    count: int,
    make_row: Callable[[random.Random, int], Row],
    salt: str,
) -> None:
    def make_rows() -> list[Row]:
        rng = random.Random(f"rows-{salt}")
        return [make_row(rng, i) for i in range(count)]

    key = f"{make_row.__module__}.{make_row.__qualname__}-{count}-{salt}"
    load_seed_rows(store.rows, de, key=key, make_rows=make_rows)


def _when(rng: random.Random, days: int = 1000) -> datetime:
    return _EPOCH + timedelta(seconds=rng.randint(0, days * 86400))


def _person(rng: random.Random, i: int) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@{rng.choice(DOMAINS)}"
    return first, last, email.encode("ascii", "ignore").decode()


def _subscriber_row(rng: random.Random, i: int) -> Row:
    first, last, email = _person(rng, i)
    return {
        "SubscriberKey": f"SUB-{i:06d}",
        "EmailAddress": email,
        "FirstName": first,
        "LastName": last if rng.random() > 0.05 else None,
        "Locale": rng.choice(LOCALES),
        "Phone": f"+1 555 {rng.randint(1000000, 9999999)}" if rng.random() > 0.3 else None,
        "BirthDate": datetime(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
        "OptIn": rng.random() > 0.4,
        "LoyaltyPoints": rng.randint(0, 50_000),
        "LifetimeValue": Decimal(rng.randint(0, 2_500_000)) / 100,
        "Country": rng.choice(COUNTRIES),
    }


def _order_row(rng: random.Random, i: int) -> Row:
    return {
        "OrderID": 100_000 + i,
        "SubscriberKey": f"SUB-{rng.randint(0, 1499):06d}",
        "OrderDate": _when(rng),
        "Amount": Decimal(rng.randint(199, 99_999)) / 100,
        "Currency": rng.choice(("USD", "USD", "EUR", "GBP")),
        "Status": rng.choice(ORDER_STATUSES),
        "IsGift": rng.random() < 0.1,
    }


def _web_event_row(rng: random.Random, i: int) -> Row:
    return {
        "EventID": f"{rng.getrandbits(64):016x}-{i:08d}",
        "SubscriberKey": f"SUB-{rng.randint(0, 1499):06d}",
        "Event Type": rng.choice(("page_view", "add_to_cart", "search", "checkout")),
        "Page URL": f"https://shop.example.com/{rng.choice(PRODUCT_WORDS).lower()}/{i}",
        "Occurred At": _when(rng, 365) + timedelta(days=730),
    }


def _all_types_row(rng: random.Random, i: int) -> Row:
    if i % 5 == 4:
        return {"TextCol": f"row {i} with NULLs"}
    return {
        "TextCol": f"{rng.choice(CITIES)} {i}",
        "NumberCol": rng.randint(-1000, 1000),
        "DateCol": _when(rng),
        "BooleanCol": i % 2 == 0,
        "EmailCol": f"user{i}@{rng.choice(DOMAINS)}",
        "PhoneCol": f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        "DecimalCol": Decimal(rng.randint(-999_999, 999_999)) / 1000,
        "LocaleCol": rng.choice(LOCALES),
    }


def _product_row(rng: random.Random, i: int) -> Row:
    word = rng.choice(PRODUCT_WORDS)
    return {
        "SKU": f"SKU-{i:05d}",
        "ProductName": f"{word} {rng.choice(('Jacket', 'Boot', 'Tent', 'Pack', 'Lamp'))} {i}",
        "Category": rng.choice(("Apparel", "Footwear", "Camping", "Accessories")),
        "Price": Decimal(rng.randint(500, 50_000)) / 100,
        "Active": rng.random() > 0.15,
    }


def _suppression_row(rng: random.Random, i: int) -> Row:
    _, _, email = _person(rng, i)
    return {
        "EmailAddress": email,
        "Reason": rng.choice(("Hard bounce", "Complaint", "Legal request", "Competitor")),
        "AddedAt": _when(rng),
    }


def _seed_bulk(store: Store, bu: BusinessUnit, rng: random.Random, *, scale: str) -> None:
    count, per_de, folder_count = BULK_COUNTS[scale]
    if not count:
        return
    de_root = store.root_folder(bu.mid, "dataextension")
    assert de_root is not None
    bulk = store.create_folder(
        mid=bu.mid, name="Bulk", content_type="dataextension", parent_id=de_root.id
    )
    folders = [
        store.create_folder(
            mid=bu.mid, name=f"Bulk {n:03d}", content_type="dataextension", parent_id=bulk.id
        ).id
        for n in range(folder_count)
    ]
    for n in range(count):
        fields = [FieldSpec(name="Id", field_type="Number", is_primary_key=True)]
        for k in range(1, per_de):
            ftype = _BULK_TYPES[(n + k) % len(_BULK_TYPES)]
            length = rng.choice((50, 100, 254)) if ftype == "Text" else None
            fields.append(
                FieldSpec(name=f"{ftype}Field{k:02d}", field_type=ftype, max_length=length)
            )
        word = PRODUCT_WORDS[n % len(PRODUCT_WORDS)]
        store.create_de(
            mid=bu.mid, name=f"{word} Segment {n:05d}", customer_key=f"bulk_{n:05d}",
            folder_id=folders[n % len(folders)], fields=fields,
        )  # fmt: skip
