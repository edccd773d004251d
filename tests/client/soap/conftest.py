"""Fixtures for the SOAP client tests, on top of ``tests/client/conftest.py``.

* ``sim``: the seeded simulator without DE rows (SOAP metadata needs none; much faster).
* ``mids``: the seeded BUs by role (``parent``, ``us``, ``eu``, ``qa``).
* ``soap``: :class:`SoapOperations` for ada.admin in the parent BU, over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from client.endpoints import MceEndpoints
from client.pipeline import MceCaller
from client.soap import SoapOperations
from client.tokens import CallTarget
from simulator.state import Simulator
from tests.simulator.soap_helpers import bu_mids, new_sim


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = new_sim()
    yield simulator
    simulator.close()


@pytest.fixture
def mids(sim: Simulator) -> dict[str, int]:
    return bu_mids(sim)


@pytest.fixture
def soap(caller: MceCaller, endpoints: MceEndpoints, target: CallTarget) -> SoapOperations:
    return SoapOperations(caller, url=endpoints.soap_url, target=target)
