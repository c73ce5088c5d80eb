"""Tests of budgetopt.analyses: the trade-off analyses, EVPI and EVPPI, flexibility."""
