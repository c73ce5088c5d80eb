"""Tests of budgetopt.reports: the BCF workbook and plans, the board paper, hostile text in
every output."""
