"""The lxml readers and the fault classifier on hand-written, MCE-shaped responses."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import httpx
import pytest

from client.errors import (
    MceUnavailable,
    MceValidationError,
    NotFound,
    PermissionDenied,
    Throttled,
    TokenRejected,
)
from client.soap import AsyncActivityStatus, DataExtensionField, DataFolder, classify
from client.soap.names import PARTNER_NS, SOAP_ENV_NS, WSSE_NS, XSI_NS
from client.soap.parsing import parse_crud, parse_perform, parse_retrieve

ENV = (
    f'<soap:Envelope xmlns:soap="{SOAP_ENV_NS}" xmlns:xsi="{XSI_NS}">'
    "<soap:Body>{}</soap:Body></soap:Envelope>"
)


def body(message: str, inner: str) -> bytes:
    return ENV.format(f'<{message} xmlns="{PARTNER_NS}">{inner}</{message}>').encode()


def fault(code: str, text: str, *, ns: str = "") -> bytes:
    return ENV.format(
        f"<soap:Fault><faultcode{ns}>{code}</faultcode><faultstring>{text}</faultstring>"
        "</soap:Fault>"
    ).encode()


FOLDER = (
    '<Results xsi:type="DataFolder"><Client><ID>77</ID></Client><PartnerKey xsi:nil="true"/>'
    "<CreatedDate>2016-07-22T11:52:20.407</CreatedDate><ModifiedDate>2016-07-22T11:52:20.407"
    '</ModifiedDate><ID>999</ID><ObjectID xsi:nil="true"/><CustomerKey>queryactivity_default'
    '</CustomerKey><ParentFolder><PartnerKey xsi:nil="true"/><ID>0</ID><ObjectID xsi:nil="true"/>'
    "</ParentFolder><Name>Query</Name><Description/><ContentType>queryactivity</ContentType>"
    "<IsActive>true</IsActive><IsEditable>false</IsEditable><AllowChildren>true</AllowChildren>"
    "</Results>"
)


def test_retrieve_page_reads_typed_records() -> None:
    page = parse_retrieve(
        body(
            "RetrieveResponseMsg",
            f"<OverallStatus>MoreDataAvailable</OverallStatus><RequestID>r-9</RequestID>{FOLDER}",
        ),
        DataFolder,
    )
    assert (page.overall_status, page.request_id, page.more) == ("MoreDataAvailable", "r-9", True)
    assert page.results == [
        DataFolder(
            id=999,
            name="Query",
            customer_key="queryactivity_default",
            parent_id=0,
            content_type="queryactivity",
            description=None,
            is_active=True,
            is_editable=False,
            allow_children=True,
            client_id=77,
            created_date=datetime(2016, 7, 22, 11, 52, 20, 407000),
            modified_date=datetime(2016, 7, 22, 11, 52, 20, 407000),
        )
    ]


def test_decimal_precision_comes_from_max_length() -> None:
    field = (
        '<Results xsi:type="DataExtensionField"><Name>amount</Name><Scale>3</Scale>'
        "<MaxLength>6</MaxLength><IsRequired>true</IsRequired><Ordinal>4</Ordinal>"
        "<IsPrimaryKey>false</IsPrimaryKey><FieldType>Decimal</FieldType><DataExtension>"
        "<CustomerKey>de</CustomerKey></DataExtension></Results>"
    )
    page = parse_retrieve(
        body("RetrieveResponseMsg", f"<OverallStatus>OK</OverallStatus>{field}"),
        DataExtensionField,
    )
    [record] = page.results
    assert (record.precision, record.scale, record.ordinal) == (6, 3, 4)
    assert record.data_extension_key == "de"


def test_async_activity_status_reads_name_value_pairs() -> None:
    result = (
        '<Results xsi:type="ObjectExtension"><Type>AsyncActivityStatus</Type><Properties>'
        "<Property><Name>Status</Name><Value>Error</Value></Property>"
        "<Property><Name>ErrorMsg</Name><Value>Bad SQL</Value></Property>"
        "<Property><Name>TaskID</Name><Value>123</Value></Property>"
        "<Property><Name>ProcessedCount</Name><Value>0</Value></Property>"
        "</Properties></Results>"
    )
    [status] = parse_retrieve(
        body("RetrieveResponseMsg", f"<OverallStatus>OK</OverallStatus>{result}"),
        AsyncActivityStatus,
    ).results
    assert (status.task_id, status.status, status.error_msg, status.failed) == (
        "123",
        "Error",
        "Bad SQL",
        True,
    )
    assert status.properties["ProcessedCount"] == "0"


def test_crud_and_perform_results() -> None:
    crud = parse_crud(
        body(
            "CreateResponse",
            "<Results><StatusCode>OK</StatusCode><StatusMessage>Folder created successfully."
            "</StatusMessage><OrdinalID>0</OrdinalID><NewID>5</NewID>"
            '<Object xsi:type="DataFolder"><ID>5</ID><CustomerKey>k</CustomerKey></Object>'
            "</Results><RequestID>q</RequestID><OverallStatus>OK</OverallStatus>",
        )
    )
    [result] = crud.results
    assert (result.ok, result.new_id, result.object_type, result.customer_key) == (
        True,
        5,
        "DataFolder",
        "k",
    )
    perform = parse_perform(
        body(
            "PerformResponseMsg",
            "<Results><Result><StatusCode>OK</StatusCode><StatusMessage>QueryDefinition perform"
            ' called successfully</StatusMessage><Object xsi:type="QueryDefinition">'
            "<ObjectID>oid</ObjectID></Object><Task><StatusCode>OK</StatusCode><StatusMessage>OK"
            "</StatusMessage><ID>123</ID><InteractionObjectID>9</InteractionObjectID></Task>"
            "</Result></Results><OverallStatus>OK</OverallStatus><OverallStatusMessage/>"
            "<RequestID>r</RequestID>",
        )
    )
    assert [(r.object_id, r.task_id) for r in perform.results] == [("oid", "123")]


def test_unreadable_page_is_a_typed_error() -> None:
    with pytest.raises(MceUnavailable):
        parse_retrieve(b"<not-xml", DataFolder)
    with pytest.raises(MceUnavailable):
        parse_retrieve(body("RetrieveResponseMsg", ""), DataFolder)


HOSTILE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + body(
    "RetrieveResponseMsg", "<OverallStatus>&e;OK</OverallStatus>"
)


def test_a_doctype_is_refused_by_every_reader() -> None:
    """SOAP forbids a DOCTYPE; entity tricks live there, so no reader accepts one."""
    with pytest.raises(MceUnavailable, match="DOCTYPE"):
        parse_retrieve(HOSTILE, DataFolder)
    with pytest.raises(MceUnavailable, match="DOCTYPE"):
        parse_crud(HOSTILE.replace(b"RetrieveResponseMsg", b"CreateResponse"))
    assert type(classify(httpx.Response(200, content=HOSTILE))) is MceUnavailable


@pytest.mark.parametrize("status_text", ["", "Okay", "&lt;OK", "Pending"])
def test_an_unknown_overall_status_is_not_success(status_text: str) -> None:
    content = body("RetrieveResponseMsg", f"<OverallStatus>{status_text}</OverallStatus>")
    assert type(classify(httpx.Response(200, content=content))) is MceUnavailable


@pytest.mark.parametrize("status_text", ["OK", "MoreDataAvailable", "Has Errors"])
def test_known_overall_statuses_are_success(status_text: str) -> None:
    content = body("RetrieveResponseMsg", f"<OverallStatus>{status_text}</OverallStatus>")
    assert classify(httpx.Response(200, content=content)) is None


WSSE = f' xmlns:q0="{WSSE_NS}"'


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (500, fault("q0:Security", "Token Expired", ns=WSSE), TokenRejected),
        (500, fault("q0:Security", "Login Failed", ns=WSSE), TokenRejected),
        (500, fault("soap:Server", "Rate Limited"), Throttled),
        (500, fault("soap:Server", "An unexpected error occurred."), MceUnavailable),
        (500, fault("soap:Client", "Malformed envelope."), MceValidationError),
        (502, b"<html>bad gateway</html>", MceUnavailable),
        (429, b"", Throttled),
    ],
)
def test_classify_faults(status: int, content: bytes, expected: type[Exception]) -> None:
    error = classify(httpx.Response(status, content=content))
    assert type(error) is expected


@pytest.mark.parametrize(
    ("inner", "expected", "message"),
    [
        (
            "<OverallStatus>Error: The Request Property(s) Foo do not match with the fields of "
            "DataExtension retrieve</OverallStatus>",
            MceValidationError,
            "The Request Property(s) Foo do not match with the fields of DataExtension retrieve",
        ),
        (
            "<OverallStatus>Error: Insufficient privileges to access business unit 5."
            "</OverallStatus>",
            PermissionDenied,
            "Insufficient privileges to access business unit 5.",
        ),
        (
            "<OverallStatus>Error: API Permission Failed</OverallStatus>",
            PermissionDenied,
            "API Permission Failed",
        ),
    ],
)
def test_classify_retrieve_business_errors(
    inner: str, expected: type[Exception], message: str
) -> None:
    error = classify(httpx.Response(200, content=body("RetrieveResponseMsg", inner)))
    assert type(error) is expected
    assert str(error) == message


def test_classify_failed_object_keeps_mce_message_and_code() -> None:
    content = body(
        "DeleteResponse",
        "<Results><StatusCode>Error</StatusCode><StatusMessage>Data extension with CustomerKey"
        " x not found.</StatusMessage><ErrorCode>310008</ErrorCode></Results>"
        "<OverallStatus>Error</OverallStatus>",
    )
    error = classify(httpx.Response(200, content=content))
    assert isinstance(error, NotFound)
    assert (error.mce_code, str(error)) == (310008, "Data extension with CustomerKey x not found.")
    assert (
        classify(
            httpx.Response(
                200, content=body("RetrieveResponseMsg", "<OverallStatus>OK</OverallStatus>")
            )
        )
        is None
    )


def test_importing_the_package_does_not_parse_the_wsdl() -> None:
    code = (
        "import client.soap, client.soap.wsdl as w; print(w.partner_schema.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"
