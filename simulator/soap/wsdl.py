"""``GET /etframework.wsdl``: the service description, pointing at this simulator.

Which document is served:

1. the file named by ``config.wsdl_path`` (if the config has one) or the ``SIM_WSDL_PATH``
   environment variable;
2. otherwise the real MCE WSDL in ``../shared/mce/ETFramework.wsdl`` beside the repository, when
   it exists (it is reference data and is never copied into the repository);
3. otherwise ``minimal.wsdl`` in this package, a hand-written subset covering what the simulator
   implements, with MCE's names and namespaces.

In every case each ``soap:address location`` is rewritten to this simulator's ``/Service.asmx``.
The real WSDL's import of ``ETFrameworkFault.xsd`` by absolute URL is left as MCE serves it:
clients without internet map that URL themselves (REFERENCE.md §0).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response

from simulator.soap.endpoint import soap_url

__all__ = ["MINIMAL_WSDL", "REAL_WSDL_DEFAULT", "render_wsdl", "wsdl_endpoint", "wsdl_path"]

MINIMAL_WSDL = Path(__file__).with_name("minimal.wsdl")
REAL_WSDL_DEFAULT = (
    Path(__file__).resolve().parents[2].parent / "shared" / "mce" / "ETFramework.wsdl"
)
_WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
_WSDL_SOAP12_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_cache: dict[tuple[str, float, str], bytes] = {}
_lock = threading.Lock()


def wsdl_path(config: object | None = None) -> Path:
    """The WSDL file to serve (see the module docstring for the order)."""
    configured = getattr(config, "wsdl_path", None) or os.environ.get("SIM_WSDL_PATH")
    if configured:
        return Path(configured)
    if REAL_WSDL_DEFAULT.is_file():
        return REAL_WSDL_DEFAULT
    return MINIMAL_WSDL


def render_wsdl(path: Path, location: str) -> bytes:
    """The WSDL at ``path`` with every SOAP address set to ``location`` (cached per file)."""
    key = (str(path), path.stat().st_mtime, location)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    tree = etree.parse(str(path), _PARSER)
    for ns in (_WSDL_SOAP_NS, _WSDL_SOAP12_NS):
        for address in tree.iter(f"{{{ns}}}address"):
            address.set("location", location)
    body: bytes = etree.tostring(tree, xml_declaration=True, encoding="utf-8")
    with _lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = body
    return body


async def wsdl_endpoint(request: Request) -> Response:
    sim = request.app.state.sim
    path = wsdl_path(getattr(sim, "config", None))
    try:
        body = render_wsdl(path, soap_url(request))
    except (OSError, etree.XMLSyntaxError):
        return Response("WSDL not available.", status_code=500, media_type="text/plain")
    return Response(body, media_type="text/xml; charset=utf-8")
