"""Tests of budgetopt.results: the row keys of the tables, the sentences (words.py)."""
