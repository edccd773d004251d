"""MCE's SOAP API (ETFramework / PartnerAPI) over the simulator's store.

The app routes ``POST /Service.asmx`` to :func:`soap_endpoint` and ``GET /etframework.wsdl`` to
:func:`wsdl_endpoint`. Object types live in :mod:`simulator.soap.objects` (a registry), operations
in :mod:`simulator.soap.operations`. See docs/simulator.md ("SOAP").
"""

from __future__ import annotations

from simulator.soap.endpoint import soap_endpoint
from simulator.soap.wsdl import wsdl_endpoint

__all__ = ["soap_endpoint", "wsdl_endpoint"]
