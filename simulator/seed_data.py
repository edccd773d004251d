"""Word lists and DE templates for the seeder (data only, no logic)."""

from __future__ import annotations

from simulator.store import FieldSpec

__all__ = [
    "CITIES",
    "COMPANIES",
    "COUNTRIES",
    "DOMAINS",
    "FIRST_NAMES",
    "LAST_NAMES",
    "LOCALES",
    "ORDER_STATUSES",
    "PACKAGE_SCOPES",
    "PRODUCT_WORDS",
    "de_templates",
    "preflight_templates",
]

COMPANIES = (
    "Northwind Traders",
    "Contoso Retail",
    "Fabrikam Outdoors",
    "Tailspin Travel",
    "Wingtip Toys",
    "Adventure Works",
    "Lucerne Publishing",
    "Alpine Ski House",
)
FIRST_NAMES = (
    "Ada", "Amanda", "Bruno", "Chloé", "Daniel", "Elif", "Farah", "Gustavo", "Hana", "Ivan",
    "Jun", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven",
    "Tomás", "Uma", "Viktor", "Wen", "Yara", "Zoë",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Bianchi", "Costa", "Dubois", "Eriksson", "Fischer", "García", "Haddad",
    "Ivanova", "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Petrov",
    "Rossi", "Silva", "Tanaka", "Uddin", "Valdez", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
DOMAINS = ("example.com", "mail.example.org", "inbox.example.net", "corp.example.com")
COUNTRIES = ("US", "GB", "DE", "FR", "BR", "IN", "JP", "ES", "IT", "CA")
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR", "pt-BR", "hi-IN", "ja-JP", "es-ES")
CITIES = ("Austin", "Leeds", "Munich", "Lyon", "Recife", "Pune", "Osaka", "Seville")
ORDER_STATUSES = ("Placed", "Shipped", "Delivered", "Returned", "Cancelled")
PRODUCT_WORDS = ("Trail", "Summit", "Harbor", "Canyon", "Meadow", "Glacier", "Prairie", "Delta")

#: Scopes of the seeded enhanced package (a broad set, but not everything: e.g. no
#: ``users_write``, so scope narrowing is observable).
PACKAGE_SCOPES = (
    "offline",
    "email_read",
    "email_write",
    "email_send",
    "automations_execute",
    "automations_read",
    "automations_write",
    "list_and_subscribers_read",
    "data_extensions_read",
    "data_extensions_write",
    "tracking_events_read",
    "accounts_read",
    "users_read",
    "saved_content_read",
)


def _f(
    name: str,
    ftype: str,
    length: int | None = None,
    *,
    pk: bool = False,
    required: bool = False,
    scale: int | None = None,
    default: str | None = None,
) -> FieldSpec:
    return FieldSpec(
        name=name,
        field_type=ftype,
        max_length=length,
        scale=scale,
        is_primary_key=pk,
        is_required=required,
        default_value=default,
    )


def de_templates() -> dict[str, list[FieldSpec]]:
    """Fields of the hand-made DEs, keyed by template name (fresh objects on each call)."""
    return {
        "subscribers": [
            _f("SubscriberKey", "Text", 254, pk=True),
            _f("EmailAddress", "EmailAddress", 254, required=True),
            _f("FirstName", "Text", 100),
            _f("LastName", "Text", 100),
            _f("Locale", "Locale"),
            _f("Phone", "Phone"),
            _f("BirthDate", "Date"),
            _f("OptIn", "Boolean", default="False"),
            _f("LoyaltyPoints", "Number"),
            _f("LifetimeValue", "Decimal", 18, scale=2),
            _f("Country", "Text", 2),
        ],
        "orders": [
            _f("OrderID", "Number", pk=True),
            _f("SubscriberKey", "Text", 254, required=True),
            _f("OrderDate", "Date", required=True),
            _f("Amount", "Decimal", 12, scale=2),
            _f("Currency", "Text", 3, default="USD"),
            _f("Status", "Text", 20),
            _f("IsGift", "Boolean", default="False"),
        ],
        "web_events": [
            _f("EventID", "Text", 36, pk=True),
            _f("SubscriberKey", "Text", 254),
            _f("Event Type", "Text", 50),
            _f("Page URL", "Text", 500),
            _f("Occurred At", "Date"),
        ],
        "all_types": [
            _f("TextCol", "Text", 50),
            _f("NumberCol", "Number"),
            _f("DateCol", "Date"),
            _f("BooleanCol", "Boolean"),
            _f("EmailCol", "EmailAddress"),
            _f("PhoneCol", "Phone"),
            _f("DecimalCol", "Decimal", 10, scale=3),
            _f("LocaleCol", "Locale"),
        ],
        "staging": [_f("Id", "Number", pk=True), _f("Note", "Text", 100)],
        "active_subscribers": [
            _f("SubscriberKey", "Text", 254, pk=True),
            _f("EmailAddress", "EmailAddress", 254),
        ],
        "products": [
            _f("SKU", "Text", 20, pk=True),
            _f("ProductName", "Text", 200, required=True),
            _f("Category", "Text", 50),
            _f("Price", "Decimal", 10, scale=2),
            _f("Active", "Boolean", default="True"),
        ],
        "suppression": [
            _f("EmailAddress", "EmailAddress", 254, pk=True),
            _f("Reason", "Text", 100),
            _f("AddedAt", "Date"),
        ],
    }


def preflight_templates() -> dict[str, list[FieldSpec]]:
    """Fields of the pre-flight DEs of the QA BU (simulator/seed_preflight.py): a source of
    sign-ups and targets whose fields each break one rule for a query reading the source."""
    return {
        "signups": [
            _f("SignupKey", "Text", 50),
            _f("Email", "EmailAddress", 254),
            _f("FullName", "Text", 100),
            _f("Country", "Text", 2),
            _f("Points", "Number"),
            _f("SignedUpAt", "Date"),
            _f("Balance", "Decimal", 12, scale=2),
            _f("Newsletter", "Boolean"),
            _f("Referrer", "Text", 50),
        ],
        # key, required, short text: duplicates, NULLs, truncation, keys already present
        "members": [
            _f("MemberKey", "Text", 50, pk=True),
            _f("Email", "EmailAddress", 254, required=True),
            _f("FullName", "Text", 20),
            _f("Country", "Text", 2),
            _f("Tier", "Text", 10, required=True, default="Basic"),
        ],
        # types the sign-ups' columns convert into badly or not at all
        "typed": [
            _f("Points", "Number"),
            _f("JoinedOn", "Date"),
            _f("Balance", "Decimal", 5, scale=2),
            _f("IsActive", "Boolean"),
            _f("Note", "Text", 10),
        ],
        # no primary key: Update is refused
        "log": [_f("Message", "Text", 200), _f("LoggedAt", "Date")],
    }
