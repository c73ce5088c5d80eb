"""The scenario store (:mod:`budgetopt.store.db`, SQLAlchemy). This package module stays
light: the command line reads :data:`STATUSES` for its help without loading SQLAlchemy."""

STATUSES = ("draft", "proposed", "approved")
"""Approval statuses, in the order a scenario usually moves through them."""
