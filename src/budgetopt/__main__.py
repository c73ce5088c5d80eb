"""``python -m budgetopt`` runs the command line."""

from budgetopt.cli import main

main()
