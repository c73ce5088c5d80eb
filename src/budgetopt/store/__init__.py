"""The scenario store (:mod:`budgetopt.store.db`, SQLAlchemy). This package module stays
light: the command line reads :data:`STATUSES` for its help without loading SQLAlchemy."""

from enum import StrEnum


class ApprovalStatus(StrEnum):
    """A saved scenario's approval status (strings: the store and the JSON are unchanged)."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"


STATUSES = tuple(ApprovalStatus)
"""Approval statuses, in the order a scenario usually moves through them."""
