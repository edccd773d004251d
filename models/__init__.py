"""Tortoise models, the tenant context that drives RLS, and the tenant-aware repository."""

from models.api_token import ApiToken, TokenScope
from models.audit import ActorType, AuditEvent, Outcome
from models.background import BackgroundState, WaitingWork
from models.context import MissingTenantContext, TenantContext, tenant_transaction
from models.metadata import CachedDataExtension
from models.repository import ModelRepository, TenantRepository
from models.snippets import Snippet, SnippetFolder, SnippetVersion, SnippetVisibility
from models.support import SupportToken
from models.tenant import BusinessUnit, Tenant, TenantStatus
from models.user import Membership, Role, User
from models.wallet import DataKeyStatus, GrantKind, WalletDataKey, WalletEntry, WalletStatus

__all__ = [
    "ActorType",
    "ApiToken",
    "AuditEvent",
    "BackgroundState",
    "BusinessUnit",
    "CachedDataExtension",
    "DataKeyStatus",
    "GrantKind",
    "Membership",
    "MissingTenantContext",
    "ModelRepository",
    "Outcome",
    "Role",
    "Snippet",
    "SnippetFolder",
    "SnippetVersion",
    "SnippetVisibility",
    "SupportToken",
    "Tenant",
    "TenantContext",
    "TenantRepository",
    "TenantStatus",
    "TokenScope",
    "User",
    "WaitingWork",
    "WalletDataKey",
    "WalletEntry",
    "WalletStatus",
    "tenant_transaction",
]
