"""Schema version 2: PostgreSQL refuses TRUNCATE of a saved record's table too.

Row triggers do not fire on TRUNCATE, so version 1 let ``TRUNCATE budgetopt_status_changes``
remove every approval. A statement trigger on each immutable table refuses it. SQLite has no
TRUNCATE (its ``DELETE FROM t`` runs the DELETE triggers), so nothing changes there.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

IMMUTABLE = ("budgetopt_scenarios", "budgetopt_datasets", "budgetopt_status_changes")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for t in IMMUTABLE:
        op.execute(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION budgetopt_immutable()")


def downgrade() -> None:
    raise NotImplementedError("a scenario store is never downgraded: its records are kept")
