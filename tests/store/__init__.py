"""Tests of budgetopt.store (SQLite and PostgreSQL). store-v1.sqlite, beside them, is a store
of schema 1 that the tests upgrade."""
