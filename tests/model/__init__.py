"""Tests of budgetopt.model: the segments, and the core model on cases solved by hand."""
