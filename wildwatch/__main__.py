"""``python -m wildwatch`` runs the command line."""

from wildwatch.cli import main

main()
