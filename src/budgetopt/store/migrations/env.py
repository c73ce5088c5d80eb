"""Alembic's environment for the scenario store's migrations.

budgetopt runs these itself when it opens a store (:meth:`budgetopt.store.db.Store`), inside
its own transaction, passing the connection in ``config.attributes["connection"]`` and the
table that records the store's revision in ``config.attributes["version_table"]``
(``budgetopt_alembic_version``).
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection,
                  version_table=context.config.attributes["version_table"],
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
