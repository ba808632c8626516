"""Registers the built-in import kinds: companies, workspaces, users and usage."""

from .base import register_import_kind
from .companies import CompanyImport
from .product import ProductUserImport, UsageImport, WorkspaceImport

for _kind in (CompanyImport(), WorkspaceImport(), ProductUserImport(), UsageImport()):
    register_import_kind(_kind)
