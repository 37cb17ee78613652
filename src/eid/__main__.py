"""``python -m eid`` runs the command line."""

from eid.cli import main

main()
