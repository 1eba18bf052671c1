"""The words that cross boundaries, declared once as ``Literal`` types.

A ``Literal`` is a plain string at run time (histories, journals and reports stay plain JSON) and
a closed set for type checkers and for the history codec, which refuses any other value. Each
``*_KINDS``/``*S`` tuple is derived from its type, so a new word is added in one place.
"""
from __future__ import annotations

from typing import Literal, get_args

# -- what the driver and the nemesis did (``Op.kind``) ---------------------------------------
OpKind = Literal[
    # the driver (a visitor)
    "open", "navigate", "reload", "close", "crash", "click", "send",
    # time
    "advance",
    # the nemesis: browser, stub, proxy, database
    "offline", "online", "storage", "seed_outbox", "restart", "fault", "toxic", "proxy", "db",
    # the run itself
    "hook", "heal",
]
OP_KINDS: tuple[str, ...] = get_args(OpKind)

# -- what the page did and where facts came from ---------------------------------------------
WriteKind = Literal["write", "seed", "snapshot"]
"""``OutboxWrite.kind``: a storage event, a harness pre-seed, or a harness read that differed."""
WRITE_KINDS: tuple[str, ...] = get_args(WriteKind)

Transport = Literal["fetch", "beacon", "xhr"]
"""How a page sent (``Attempt.via``): ``fetch``, ``navigator.sendBeacon`` or ``XMLHttpRequest``."""
TRANSPORTS: tuple[str, ...] = get_args(Transport)
ANSWERED: tuple[Transport, ...] = ("fetch", "xhr")
"""Transports whose answer the page awaits (a status, a timeout, a retry): a beacon's is never seen."""

JournalVia = Literal["fetch", "beacon", "xhr", "unknown"]
"""``JournalEntry.via``: the transport tag the instrumentation adds to the Sync URL, if present."""

AttemptOutcome = Literal["ok", "http_error", "network_error", "abort", "pending", "queued", "refused"]
"""``Attempt.outcome``: fetch settled 2xx / non-2xx / TypeError / AbortError / never; beacon queued or refused."""
ATTEMPT_OUTCOMES: tuple[str, ...] = get_args(AttemptOutcome)
FAILED_SEND: tuple[AttemptOutcome, ...] = ("network_error", "abort")
"""Outcomes that are a failure whatever the status (``http_error`` depends on the status)."""

JournalOutcome = Literal["answered", "closed", "hung", "client_gone", "process_then_fail", "in_flight"]
"""``JournalEntry.outcome``: how the Sync endpoint ended a request (``in_flight`` until it ends)."""
JOURNAL_OUTCOMES: tuple[str, ...] = get_args(JournalOutcome)

PageMessageKind = Literal["console", "pageerror", "crash", "dropped"]
"""``PageMessage.kind``: a console message, an uncaught error, a renderer crash, or the count over the cap."""

AtRestSource = Literal["stub", "memory", "postgres", "tap", "query", "none"]
"""Where the rows at rest were read (``none``: not observable)."""

# -- what the checker says -------------------------------------------------------------------
Fate = Literal["delivered", "dropped_policy", "rejected", "pending", "lost"]
"""Exactly one per envelope (docs/contract.md, "Fates"). ``duplicated``/``unexpected`` are counts."""
FATES: tuple[str, ...] = get_args(Fate)

SubjectKind = Literal["envelope", "intent", "direct"]
"""What a fate is about: an outbox envelope, an intent no envelope fulfilled, a send from memory."""
SUBJECT_KINDS: tuple[str, ...] = get_args(SubjectKind)

GuaranteeId = Literal[
    "retry", "timeout", "response_ok", "drop_rule", "last_gasp", "trigger_load", "trigger_online",
    "no_loss", "exactly_once", "nothing_unexpected", "dead_letter", "overflow", "backoff", "session_month",
]
"""The guarantees a scenario can judge; their texts live with the checker (``checker.guarantees``)."""
GUARANTEE_IDS: tuple[str, ...] = get_args(GuaranteeId)

Status = Literal["pass", "fail", "vacuous", "not_judged"]
"""The verdict of one guarantee in one scenario."""
STATUSES: tuple[str, ...] = get_args(Status)

DeadLetterReason = Literal["ttl", "rejected", "overflow", "malformed"]
"""Why a build dead-lettered an envelope (the record's ``reason``); a claim the checker verifies."""
DEAD_LETTER_REASONS: tuple[str, ...] = get_args(DeadLetterReason)
