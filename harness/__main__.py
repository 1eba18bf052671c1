"""``python -m harness`` is ``tankharness``."""
from harness.cli import main

main()
