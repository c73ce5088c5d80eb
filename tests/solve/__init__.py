"""Tests of budgetopt.solve: the strategy, statuses, shadow prices and their ranges, the
tie-break, extending a compiled model, properties on random instances."""
