"""``python -m harness`` is ``tankharness``."""
from harness.entry import main

main()
