"""Tests of budgetopt.data: reading and validating every table, the example and HWB data,
evidence, hostile and random inputs."""
