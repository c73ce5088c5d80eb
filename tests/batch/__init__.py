"""Tests of budgetopt.batch: manifests, runs on Dask (local and a real scheduler), failures,
resume."""
