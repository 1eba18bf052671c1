"""Bounds on everything a scenario file can ask for, so no input can hang, exhaust or crash a run.

Scenario files are written in a hurry from customer reports and sometimes come from elsewhere;
each bound here is far above what a real reproduction needs and far below what would hurt a
shared CI machine. The loader reports a crossed bound like any other mistake (file, line, field),
before any browser starts.
"""
from __future__ import annotations

DAY_MS = 86_400_000

# -- the file as text and YAML ------------------------------------------------------------------
MAX_FILE_BYTES = 64_000  # a long scenario is a few KB (and YAML composes at ~0.1 MB/s on a busy machine)
MAX_DEPTH = 64  # YAML nesting (a deeper document would exhaust the parser's recursion)
MAX_ALIASES = 100  # YAML `*alias` uses: enough for sharing a payload, not for a "billion laughs"
MAX_NODES = 200_000  # YAML values after alias expansion

# -- page time ------------------------------------------------------------------------------------
MAX_DURATION_MS = 31 * DAY_MS  # any one duration (advance, settle, delays, policy times)
MAX_SPAN_MS = 92 * DAY_MS  # all advances and jumps plus settle: the page time one scenario covers
MAX_AGE_MS = 366 * DAY_MS  # a seeded envelope's age (either way)
MIN_YEAR, MAX_YEAR = 1970, 9999  # the page clock, from the start to the end of settle

# -- counts ---------------------------------------------------------------------------------------
MAX_STEPS = 1_000
MAX_VISITORS = 500
MAX_TABS_PER_VISITOR = 10
MAX_VISITOR_TABS = 1_000  # visitors × tabs per visitor
MAX_VISITOR_ACTIONS = 50
MAX_FAULTS = 1_000  # queued stub faults in one step (times, push, sequence)
MAX_ENVELOPES = 1_000  # seeded envelopes in one step
MAX_ATTEMPTS = 1_000_000
MAX_SEED = 2**32 - 1
MAX_TOXIC_ATTRIBUTE = 2**31 - 1
MAX_TAGS = 32
MAX_KEYS = 256  # keys in one mapping
MAX_LIST = 1_000  # items in any other list

# -- data -----------------------------------------------------------------------------------------
MAX_STRING = 4_096  # characters in one string (names, labels, notes)
MAX_NAME = 64  # names: scenario, tab, context, toxic, tag
MAX_JSON_BYTES = 32 * 1024  # one payload, meta, body or argument, as JSON
MAX_JSON_DEPTH = 32  # nesting inside one payload or meta
MAX_INSTANT_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
