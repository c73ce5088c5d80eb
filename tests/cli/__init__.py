"""Tests of budgetopt.cli: the command line's contract, bad input, what start-up loads."""
