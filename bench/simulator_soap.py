"""How fast the simulator serves full Retrieve pages (2,500 DataExtensionField results).

Seeds a simulator (no rows), adds DEs holding ``--fields`` fields in one BU, serves it with uvicorn
on loopback and pages through ``DataExtensionField`` with ``ContinueRequest``, printing
milliseconds per page measured at the client (request sent to response fully read) and the
server-side share (operation only, without HTTP). No injected latency. Run:

    .venv/bin/python -m bench.simulator_soap [--fields 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time

import httpx
import uvicorn
from lxml import etree

from simulator.app import create_app
from simulator.soap.context import CallContext
from simulator.soap.operations.retrieve import run_retrieve
from simulator.state import FieldSpec, Simulator, SimulatorConfig

PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
PROPS = "".join(
    f"<Properties>{p}</Properties>"
    for p in (
        "ObjectID",
        "CustomerKey",
        "Name",
        "FieldType",
        "MaxLength",
        "Scale",
        "IsRequired",
        "IsPrimaryKey",
        "Ordinal",
        "DefaultValue",
        "DataExtension.CustomerKey",
    )
)


def _envelope(token: str, inner: str) -> str:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Header><fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></soap:Header>'
        f'<soap:Body><RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest>{inner}'
        "</RetrieveRequest></RetrieveRequestMsg></soap:Body></soap:Envelope>"
    )


def _status(text: str) -> tuple[str, str]:
    status = text.split("<OverallStatus>", 1)[1].split("<", 1)[0]
    request_id = text.split("<RequestID>", 1)[1].split("<", 1)[0]
    return status, request_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    sim = Simulator(SimulatorConfig(scale="small", with_rows=False))
    parent = next(bu.mid for bu in sim.store.business_units.values() if bu.parent_mid is None)
    per_de = 500
    for n in range(0, args.fields, per_de):
        count = min(per_de, args.fields - n)
        sim.store.create_de(
            mid=parent,
            name=f"bench_{n}",
            customer_key=f"bench_{n}",
            fields=[FieldSpec(f"Field_{i:04d}", "Text", max_length=100) for i in range(count)],
        )
    package = sim.enhanced_package
    user = next(u for u in sim.store.users.values() if u.default_mid == parent)
    token = sim.auth.issue_access_token(
        package=package, user=user, mid=parent, scopes=package.scopes
    )

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(sim), log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    page_ms: list[float] = []
    page_bytes: list[int] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        headers = {"SOAPAction": "Retrieve", "Content-Type": "text/xml"}
        for _ in range(args.rounds):
            inner = f"<ObjectType>DataExtensionField</ObjectType>{PROPS}"
            while True:
                started = time.perf_counter()
                response = client.post(
                    "/Service.asmx", content=_envelope(token.token, inner), headers=headers
                )
                elapsed = (time.perf_counter() - started) * 1000
                status, request_id = _status(response.text)
                if response.text.count("<Results ") == 2500:
                    page_ms.append(elapsed)
                    page_bytes.append(len(response.content))
                if status != "MoreDataAvailable":
                    break
                inner = f"<ContinueRequest>{request_id}</ContinueRequest>"
        baseline_ms: list[float] = []  # the smallest Retrieve: a handful of BusinessUnits
        small = "<ObjectType>BusinessUnit</ObjectType><Properties>ID</Properties>"
        for _ in range(args.rounds * 4):
            started = time.perf_counter()
            client.post("/Service.asmx", content=_envelope(token.token, small), headers=headers)
            baseline_ms.append((time.perf_counter() - started) * 1000)
    server.should_exit = True
    thread.join(timeout=10)

    body = etree.fromstring(
        _envelope(token.token, f"<ObjectType>DataExtensionField</ObjectType>{PROPS}").encode()
    ).find(".//{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    ctx = CallContext(sim=sim, token=token)
    op_ms = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        run_retrieve(ctx, body[0])
        op_ms.append((time.perf_counter() - started) * 1000)

    print(f"DataExtensionField pages of 2,500 results ({args.fields} fields, 11 properties)")
    print(f"  pages measured:        {len(page_ms)}")
    print(f"  page size:             {statistics.mean(page_bytes) / 1024:.0f} KiB")
    print(f"  over HTTP, median:     {statistics.median(page_ms):.1f} ms/page")
    print(f"  over HTTP, max:        {max(page_ms):.1f} ms/page")
    print(f"  first page, operation: {statistics.median(op_ms):.1f} ms (filter all, render 2,500)")
    print(f"  baseline (tiny Retrieve), median: {statistics.median(baseline_ms):.1f} ms")
    ratio = statistics.median(page_ms) / statistics.median(baseline_ms)
    print(
        f"  page / baseline: {ratio:.1f}x; median vs the 100 ms budget: "
        f"{statistics.median(page_ms) / 100:.2f} of budget"
    )
    sim.close()


if __name__ == "__main__":
    main()
