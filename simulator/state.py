"""The simulator's in-memory model: the one object every HTTP layer works on.

API for the SOAP layer (``simulator.soap``) — stable; names are only ever added:

* ``sim = request.app.state.sim`` is a :class:`Simulator` with ``config``, ``store``,
  ``auth``, ``stats``, ``faults``, ``clock`` and ``rows``.
* Auth: ``info = sim.auth.validate_access_token(token)`` → :class:`TokenInfo`
  (``user`` (``None`` for client_credentials), ``mid`` (the token's BU), ``scopes``,
  ``expires_at``, ``client_id``, ``reachable_mids``, ``enterprise_id``). Raises
  :class:`TokenExpired` (SOAP fault ``Token Expired``) or :class:`TokenInvalid`
  (``Login Failed``); ``TokenExpired`` subclasses ``TokenInvalid``, so catch it first.
* Counting and faults, once per call, after parsing the action and object type::

      sim.stats.count("soap.Retrieve.DataExtension")
      await sim.faults.apply("soap.Retrieve.DataExtension")  # may raise InjectedFault

  ``InjectedFault.kind``: ``"error"`` → answer a 500 SOAP fault; ``"rate_limit"`` → the
  ``Rate Limited`` fault; ``"reset"`` → do nothing, let it propagate: the ASGI wrapper
  in :mod:`simulator.app` drops the TCP connection without a response.
* Metadata (``store = sim.store``), every call takes the acting BU's ``mid``:

  - BUs/users: ``store.enterprise``, ``store.business_units[mid]``, ``store.users``,
    ``store.get_business_unit(mid)``, ``store.children_of(mid)``,
    ``store.reachable_mids(user)``.
  - Folders: ``list_folders(mid, content_type=)``, ``get_folder(id, mid=)``,
    ``root_folder(mid, content_type)``, ``create_folder(mid=, name=, content_type=,
    parent_id=, customer_key=, description=)``, ``update_folder(id, mid=, name=,
    description=, parent_id=)``, ``delete_folder(id, mid=)``.
  - DEs: ``list_des(mid)`` (owned), ``visible_des(mid)`` (owned + parent's shared),
    ``get_de(mid, customer_key=|name=|object_id=)``, ``create_de(mid=, name=,
    fields=[FieldSpec...], customer_key=, folder_id=, is_sendable=, sendable_field=,
    sendable_subscriber_field=, data_retention_period_length=, data_retention_period=,
    row_based_retention=, reset_retention_period_on_import=,
    delete_at_end_of_retention_period=, ...)``, ``update_de(mid=, customer_key=, ...,
    fields=[FieldSpec...])``, ``delete_de(mid=, customer_key=)``.
  - Fields: ``list_fields(de)`` (by ordinal), ``add_field(de, spec)``,
    ``update_field(de, name, spec)``, ``delete_field(de, name)``.
  - Query definitions: ``list_queries(mid)``, ``get_query(mid, customer_key=|object_id=)``,
    ``create_query(...)``, ``delete_query(mid=, object_id=)``.
  - Every rule violation raises :class:`MceValidationError` (``code``, ``message``);
    codes are :class:`ErrorCode` (310007 duplicate DE name is MCE's; the others are
    listed in docs/simulator.md).
* Rows (``sim.rows``, DuckDB): ``count(de)``, ``fetch(de, columns=, where=, params=,
  order_by=, limit=, offset=)`` → tuples of typed values; ``upsert(de, rows)``;
  ``connection()`` for raw SQL under the lock. Wire formatting:
  :func:`simulator.values.format_value` (``"True"``, ``"6/23/2024 12:00:00 AM"``, ...).
* Base URL of the simulator as clients see it: ``sim.base_url(request)``.
* Query activities (``sim.queries``, :class:`simulator.queries.QueryActivities`):
  ``create(mid=, name=, query_text=, target_key=, customer_key=, target_update_type=,
  folder_id=, description=)`` (SQL validated as MCE does on save), ``update(query, ...)``,
  ``delete(query)``, ``validate(mid=, text=, target=, update_type=)`` → error messages,
  ``start(query)`` → :class:`QueryTask` (raises if already running), ``task(task_id)``,
  ``is_running(query)``, ``last_task(query)``, ``poll(task)`` → :class:`StatusReport`
  (quirks applied), ``rows_hidden(de)``. ``sim.tick()`` runs what is due; the app calls it
  before every request, so handlers always see current state.
* Data views (``sim.dataviews``): ``spec(name)``, ``names()``, ``table(mid, name)``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from simulator.auth import AuthService, OAuthError, TokenInfo
from simulator.automations import Automations
from simulator.clock import Clock
from simulator.config import SimulatorConfig
from simulator.dataviews import DataViews
from simulator.errors import (
    ErrorCode,
    InjectedFault,
    MceValidationError,
    TokenExpired,
    TokenInvalid,
)
from simulator.faults import FaultRule, Faults
from simulator.model import (
    BusinessUnit,
    DataExtension,
    Enterprise,
    Field,
    FieldType,
    Folder,
    Package,
    QueryDefinition,
    QueryTask,
    RetentionUnit,
    User,
)
from simulator.queries import QueryActivities
from simulator.retention import RetentionSweeper
from simulator.rows import RowStore
from simulator.seed import seed_store
from simulator.seed_preflight import seed_preflight_automations
from simulator.stats import Stats
from simulator.store import FieldSpec, Store

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "AuthService",
    "BusinessUnit",
    "Clock",
    "DataExtension",
    "Enterprise",
    "ErrorCode",
    "FaultRule",
    "Faults",
    "Field",
    "FieldSpec",
    "FieldType",
    "Folder",
    "InjectedFault",
    "MceValidationError",
    "OAuthError",
    "Package",
    "QueryActivities",
    "QueryDefinition",
    "QueryTask",
    "RetentionUnit",
    "RowStore",
    "Simulator",
    "SimulatorConfig",
    "Stats",
    "Store",
    "TokenExpired",
    "TokenInfo",
    "TokenInvalid",
    "User",
]


class Simulator:
    """One simulated MCE stack: config, metadata store, rows, auth, stats, faults."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock = Clock()
        self.stats = Stats()
        self.faults = Faults(seed=self.config.seed, latency_ms=self.config.latency_ms)
        # A reset waits for a tick in progress (the app ticks in a worker thread), so a
        # run never finds its DuckDB connection closed under it.
        self._tick_lock = threading.RLock()
        self._build()

    def _build(self) -> None:
        self.rows = RowStore(now=self.clock.server_now)
        self.store = Store(clock=self.clock, rows=self.rows, seed=self.config.seed)
        seed_store(
            self.store,
            seed=self.config.seed,
            scale=self.config.scale,
            redirect_uris=self.config.redirect_uris,
            with_rows=self.config.with_rows,
            extra_child_bus=self.config.extra_child_bus,
        )
        self.auth = AuthService(store=self.store, clock=self.clock, config=self.config)
        self.dataviews = DataViews(
            rows=self.rows,
            store=self.store,
            seed=self.config.seed,
            scale=self.config.scale,
            clock=self.clock,
        )
        self.queries = QueryActivities(
            store=self.store,
            rows=self.rows,
            views=self.dataviews,
            clock=self.clock,
            config=self.config,
        )
        self.retention = RetentionSweeper(store=self.store, clock=self.clock)
        self.automations = Automations(store=self.store, queries=self.queries, clock=self.clock)
        seed_preflight_automations(self.automations, self.store)

    def has_due_work(self) -> bool:
        """Whether simulated time has made a run or an expiry due (cheap, every request)."""
        return self.queries.has_due() or self.automations.has_due() or self.retention.has_due()

    def tick(self) -> None:
        """Bring everything time-driven up to the clock: query runs, then retention."""
        with self._tick_lock:
            self.queries.tick()
            self.automations.tick()
            if self.retention.has_due():
                self.retention.sweep()

    def reset(self) -> None:
        """Back to the freshly seeded state: data, tokens, stats, faults and clock.

        Waits for a tick in progress (a run finishes against the old state first).
        """
        with self._tick_lock:
            self.dataviews.reset()
            self.rows.close()
            self.clock.reset()
            self.stats.reset()
            self.faults.clear()
            self._build()

    def close(self) -> None:
        self.rows.close()

    # --------------------------------------------------------------- lookups
    @property
    def enhanced_package(self) -> Package:
        """The seeded enhanced (OAuth 2) package."""
        return next(p for p in self.store.packages.values() if p.kind == "enhanced")

    @property
    def legacy_package(self) -> Package:
        """The seeded legacy package (JWT SSO + ``/v1/requestToken``)."""
        return next(p for p in self.store.packages.values() if p.kind == "legacy")

    def base_url(self, request: Request | None = None) -> str:
        """The origin clients use, with a trailing slash (config first, else the request)."""
        if self.config.base_url:
            return self.config.base_url
        if request is not None:
            return str(request.base_url)
        return "http://127.0.0.1/"

    def describe(self, base_url: str | None = None) -> dict[str, Any]:
        """What a developer needs to point a client at this stack (the CLI's JSON line)."""
        store = self.store
        enhanced, legacy = self.enhanced_package, self.legacy_package
        return {
            "base_url": base_url or self.config.base_url,
            "seed": self.config.seed,
            "scale": self.config.scale,
            "tssd": store.enterprise.tssd,
            "enterprise_id": store.enterprise.eid,
            "enterprise_name": store.enterprise.name,
            "client_id": enhanced.client_id,
            "client_secret": enhanced.client_secret,
            "scopes": list(enhanced.scopes),
            "redirect_uris": list(enhanced.redirect_uris),
            "legacy_client_id": legacy.client_id,
            "legacy_client_secret": legacy.client_secret,
            "legacy_jwt_signing_secret": legacy.jwt_signing_secret,
            "business_units": [
                {"mid": bu.mid, "name": bu.name, "parent_mid": bu.parent_mid}
                for bu in store.business_units.values()
            ],
            "users": [
                {
                    "id": u.id,
                    "username": u.username,
                    "email": u.email,
                    "default_mid": u.default_mid,
                    "business_units": store.reachable_mids(u),
                }
                for u in store.users.values()
            ],
            "counts": store.counts(),
        }
