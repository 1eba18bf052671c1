"""Release gate: judge a candidate build against its baseline on the same seeded scenarios.

A gate fails only on regressions — a guarantee that held and now fails, more events lost or
duplicated than the baseline, a new class of fate — never on failures both builds share.
"""
