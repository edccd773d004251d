"""Who is calling and which BUs they may address.

The token is scoped to one BU (``TokenInfo.mid``), but MCE lets a caller address other BUs of the
enterprise through ``ClientIDs`` (Retrieve) or ``Client/ID`` on an object (Create/Update/Delete)
when the user and the package can reach them (REFERENCE.md §2.6). ``TokenInfo.reachable_mids``
already holds that intersection; this module is the one place that checks it, so a refused BU is
refused the same way by every operation and object type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.errors import MceValidationError

if TYPE_CHECKING:
    from simulator.auth import TokenInfo
    from simulator.store import Store

__all__ = ["AUTHORIZATION_FAILURE", "BusinessUnitRefused", "CallContext"]

#: ``AuthorizationFailure``, the code MCE documents for a caller without access.
AUTHORIZATION_FAILURE = 11


class BusinessUnitRefused(MceValidationError):
    """The caller named a BU (``Client/ID`` / ``ClientIDs``) it cannot reach."""

    def __init__(self, mid: int) -> None:
        super().__init__(
            AUTHORIZATION_FAILURE, f"Insufficient privileges to access business unit {mid}."
        )
        self.mid = mid


@dataclass(frozen=True, slots=True)
class CallContext:
    """One authenticated SOAP call: the simulator, its store and the caller's token."""

    sim: Any
    token: TokenInfo
    #: ``Options/Client/ID`` of the request: the BU for objects that name none themselves.
    options_client: int | None = None
    #: Set when the token lacks the scope for this call (:mod:`simulator.soap.permissions`):
    #: the operation answers with this message instead of doing anything.
    denied: str | None = None

    @property
    def store(self) -> Store:
        store: Store = self.sim.store
        return store

    @property
    def mid(self) -> int:
        """The BU the token is for; objects without ``Client/ID`` live here."""
        return self.token.mid

    @property
    def reachable(self) -> tuple[int, ...]:
        """BUs the caller may address, the token's own BU first."""
        others = [m for m in self.token.reachable_mids if m != self.token.mid]
        return (self.token.mid, *others)

    @property
    def owner(self) -> tuple[Any, ...]:
        """Identity used to keep paging cursors private to their caller."""
        user_id = self.token.user.id if self.token.user is not None else None
        return (self.token.client_id, user_id, self.token.mid)

    def target_mid(self, requested: int | None) -> int:
        """The BU an object or retrieve addresses; raises :class:`BusinessUnitRefused`.

        ``requested`` is the object's ``Client/ID``; without one, ``Options/Client/ID`` applies,
        then the token's BU.
        """
        if requested is None:
            requested = self.options_client
        if requested is None or requested == self.token.mid:
            return self.token.mid
        if requested not in self.token.reachable_mids:
            raise BusinessUnitRefused(requested)
        return requested
