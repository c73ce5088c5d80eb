"""Schema version 1: the store as budgetopt first made it.

Four tables (meta, data sets, scenarios, status changes) and the triggers that refuse an
UPDATE or DELETE of a saved record. A store made before migrations were run by Alembic is at
this revision (it is stamped so when first opened).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

IMMUTABLE = ("budgetopt_scenarios", "budgetopt_datasets", "budgetopt_status_changes")


def upgrade() -> None:
    op.create_table(
        "budgetopt_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "budgetopt_datasets",
        sa.Column("data_hash", sa.String(64), primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "budgetopt_scenarios",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("data_hash", sa.String(64), sa.ForeignKey("budgetopt_datasets.data_hash"),
                  nullable=False),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("overrides", sa.Text, nullable=False),
        sa.Column("solve_status", sa.String(40), nullable=False),
        sa.Column("objective", sa.Float, nullable=True),
        sa.Column("results", sa.LargeBinary, nullable=False),
        sa.Column("budgetopt_version", sa.String(40), nullable=False),
        sa.Column("solver_version", sa.String(40), nullable=False),
        sa.Column("python_version", sa.String(40), nullable=False),
        sa.Column("run_key", sa.String(64), nullable=False),
        sa.UniqueConstraint("name", "version", name="budgetopt_scenario_name_version"),
    )
    op.create_index("ix_budgetopt_scenarios_run_key", "budgetopt_scenarios", ["run_key"])
    op.create_table(
        "budgetopt_status_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scenario_id", sa.Integer, sa.ForeignKey("budgetopt_scenarios.id"),
                  nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for t in IMMUTABLE:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER IF NOT EXISTS {t}_no_{verb.lower()} BEFORE {verb} "
                           f"ON {t} BEGIN SELECT RAISE(ABORT, 'budgetopt: saved records are "
                           "immutable'); END")
    elif dialect == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION budgetopt_immutable() RETURNS trigger AS $$ "
                   "BEGIN RAISE EXCEPTION 'budgetopt: saved records are immutable'; END; $$ "
                   "LANGUAGE plpgsql")
        for t in IMMUTABLE:
            op.execute(f"CREATE TRIGGER {t}_immutable BEFORE UPDATE OR DELETE ON {t} "
                       "FOR EACH ROW EXECUTE FUNCTION budgetopt_immutable()")


def downgrade() -> None:
    raise NotImplementedError("a scenario store is never downgraded: its records are kept")
