"""The scenario format, declared once: every key, type, choice and bound of a scenario file.

The loader reads its key sets, choices, patterns and bounds from these declarations, and
``harness.scenario.schema`` turns the same declarations into the JSON Schema that editors use
(``tankharness schema``). What a JSON Schema cannot say (one step's toxic named by an earlier
one, a tab used after it closed, the page time summed over all steps) is checked by the loader
alone; docs/scenarios.md lists those rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.checker.guarantees import GUARANTEES
from harness.checker.policy import SCENARIO_SETTINGS
from harness.contract import site
from harness.scenario import bounds as B
from harness.scenario.durations import UNITS_HELP
from harness.toxiproxy.spec import SPEC_TYPES
from harness.toxiproxy.toxics import REGISTRY, STREAMS

try:
    from server_stub.faults import KIND_KEYS, MODIFIER_KEYS
except ImportError:  # pragma: no cover - the stub ships with the harness
    KIND_KEYS = ("ok", "status", "hang", "close", "process_then_fail")
    MODIFIER_KEYS = ("delay_ms", "retry_after", "body", "via", "method")


# -- declaration types ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Decl:
    """A value in a scenario file; ``doc`` becomes the schema's description."""

    doc: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class Str(Decl):
    choices: tuple[str, ...] | None = None
    pattern: str | None = None  # a full match
    pattern_help: str = ""
    nonempty: bool = True
    max_len: int = B.MAX_STRING


@dataclass(frozen=True)
class Text(Decl):
    """Any non-null scalar, kept as written (``0123`` stays ``"0123"``)."""

    max_len: int = B.MAX_STRING


@dataclass(frozen=True)
class Int(Decl):
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Num(Decl):
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Bool(Decl):
    pass


@dataclass(frozen=True)
class TrueOnly(Decl):
    """A switch-like step (``reload: true``): only ``true`` makes sense."""

    hint: str = ""


@dataclass(frozen=True)
class Null(Decl):
    pass


@dataclass(frozen=True)
class Duration(Decl):
    max_ms: int = B.MAX_DURATION_MS
    allow_negative: bool = False


@dataclass(frozen=True)
class Instant(Decl):
    """ISO 8601 with a timezone; ``allow_int``: also ms since the epoch."""

    allow_int: bool = False


@dataclass(frozen=True)
class Json(Decl):
    """Plain JSON data (``object=True``: a mapping), bounded in size and depth."""

    object: bool = False


@dataclass(frozen=True)
class Map(Decl):
    """A mapping with declared ``keys`` (or free-form keys, each a ``values``)."""

    keys: dict[str, Decl] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    values: Decl | None = None  # free-form keys
    key_pattern: str | None = None
    max_keys: int = B.MAX_KEYS
    min_keys: int = 0
    one_of_keys: tuple[str, ...] = ()  # exactly one of these keys (e.g. a toxic's add/remove/update)

    @property
    def allowed(self) -> tuple[str, ...] | None:
        return tuple(self.keys) if self.values is None else None


@dataclass(frozen=True)
class List(Decl):
    item: Decl = field(default_factory=Decl)
    min_items: int = 0
    max_items: int = B.MAX_LIST
    unique: bool = False


@dataclass(frozen=True)
class Either(Decl):
    """One of several shapes (e.g. ``close: true`` or ``close: {before_unload: false}``)."""

    options: tuple[Decl, ...] = ()


@dataclass(frozen=True)
class StepKind:
    """One action key of a step: the value it takes and the extra keys that go with it."""

    value: Decl
    scope: str  # "tab", "context", "world", "any": which common keys apply
    extra: dict[str, Decl] = field(default_factory=dict)
    doc: str = ""


# -- leaves --------------------------------------------------------------------------------------
NAME = Str(pattern=r"[a-z0-9_]+", pattern_help="lowercase letters, digits and _ only", max_len=B.MAX_NAME,
           doc="scenario name, unique across the files loaded together (default: the file stem)")
TAB_NAME = Str(pattern=r"[A-Za-z0-9_\-]+", pattern_help="letters, digits, _ and - only", max_len=B.MAX_NAME)
TOXIC_NAME = Str(pattern=r"[A-Za-z0-9_.\-]+", pattern_help="letters, digits, _, . and - only", max_len=B.MAX_NAME)
HOOK_TARGET = Str(pattern=r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*", pattern_help="'package.module:function'",
                  max_len=B.MAX_NAME * 4)
ATTR_NAME_PATTERN = r"[A-Za-z_:][A-Za-z0-9_:.\-]*"
SEED = Int(min=0, max=B.MAX_SEED)
DURATION = Duration(doc=UNITS_HELP)
PAGE = Either((Str(choices=tuple(site.PAGES)), Str(pattern=r"/[^?]*", pattern_help="a path starting with /")),
              doc="a named page (" + ", ".join(site.PAGES) + ") or a path starting with /")
QUERY = Map(values=Text(), doc="query string parameters")
REFERRER = Either((Str(pattern=r"https?://[^/?#\s]+\S*", pattern_help="an http(s) URL"), Null()))
CLICK_TARGET = Either((Str(choices=tuple(site.CLICK_TARGETS)),
                       Str(pattern=r"[#.\[].+", pattern_help="a CSS selector starting with # . or [")),
                      doc="a named target (" + ", ".join(site.CLICK_TARGETS) + ") or a CSS selector")

# -- stub faults (the stub's ``parse_fault`` checks the values; these are the shapes) -------------
FAULT = Map(keys={k: (Duration(doc="page-time delay before the fault") if k == "delay_ms" else Json()) for k in
                  (*KIND_KEYS, *MODIFIER_KEYS)}, doc="one stub fault, e.g. {status: 503, retry_after: 2}")
FAULT_LIST = List(FAULT, min_items=1, max_items=B.MAX_FAULTS)
STUB = Map(keys={
    "push": FAULT_LIST, "sequence": FAULT_LIST, "fault": FAULT, "times": Int(min=1, max=B.MAX_FAULTS),
    "default": Either((FAULT, Null())),
    "random": Map(keys={"p": Num(min=0.0, max=1.0), "fault": Either((FAULT, Null())), "seed": Int(max=B.MAX_SEED)},
                  required=("p", "fault")),
    "clear": TrueOnly(hint="leave the key out instead"), "release": TrueOnly(hint="leave the key out instead"),
}, min_keys=1, doc="HTTP faults of the Sync stub")

# -- toxics (attributes from the embedded proxy's toxic classes) ----------------------------------
TOXIC_ATTRIBUTES: dict[str, Map] = {
    t: Map(keys={f.name: Int(min=f.metadata["minimum"], max=B.MAX_TOXIC_ATTRIBUTE, doc=f.metadata["unit"])
                 for f in REGISTRY[t].attribute_fields()},
           required=tuple(f.name for f in REGISTRY[t].attribute_fields() if f.metadata["required"]))
    for t in SPEC_TYPES
}
TOXIC_ADD = Map(keys={"name": TOXIC_NAME, "type": Str(choices=SPEC_TYPES), "stream": Str(choices=STREAMS),
                      "toxicity": Num(min=0.0, max=1.0), "attributes": Map(values=Int(min=0, max=B.MAX_TOXIC_ATTRIBUTE))},
                required=("type",))
TOXIC_UPDATE = Map(keys={"name": TOXIC_NAME, "toxicity": Num(min=0.0, max=1.0),
                         "attributes": Map(values=Int(min=0, max=B.MAX_TOXIC_ATTRIBUTE))}, required=("name",))
TOXIC = Map(keys={"add": TOXIC_ADD, "remove": TOXIC_NAME, "update": TOXIC_UPDATE}, one_of_keys=("add", "remove", "update"),
            doc="add, remove or update a Toxiproxy toxic on the Sync proxy")

# -- seeded outbox ---------------------------------------------------------------------------------
ENVELOPE_FIELDS: tuple[str, ...] = ("id", "ts", "payload", "attempts")
PAYLOAD_KEYS: tuple[str, ...] = ("s", "u", "sid", "sm", "ec", "ea", "el", "ev", "r", "meta")
ENVELOPE = Map(keys={
    "id": Text(), "age": Duration(max_ms=B.MAX_AGE_MS, allow_negative=True, doc="ts = page clock now - age"),
    "ts": Instant(allow_int=True), "attempts": Int(min=0, max=B.MAX_ATTEMPTS),
    "payload": Map(keys={k: Json() for k in PAYLOAD_KEYS}), "omit": List(Str(choices=ENVELOPE_FIELDS)),
    "extra": Json(object=True),
})
ENVELOPES = List(ENVELOPE, max_items=B.MAX_ENVELOPES)
SEED_OUTBOX = Either((ENVELOPES, Map(keys={"envelopes": ENVELOPES, "raw": Str(nonempty=False, max_len=B.MAX_JSON_BYTES),
                                          "key": Str()}, one_of_keys=("envelopes", "raw"))))

# -- steps ---------------------------------------------------------------------------------------
STEP_KINDS: dict[str, StepKind] = {
    "open": StepKind(PAGE, "tab", {"query": QUERY, "referrer": REFERRER}, "open a page in a new tab"),
    "navigate": StepKind(PAGE, "tab", {"query": QUERY}, "navigate the tab (unload handlers run)"),
    "reload": StepKind(TrueOnly(hint="remove the step to not reload"), "tab"),
    "close": StepKind(Either((TrueOnly(hint="write `close: {before_unload: false}` to close without beforeunload"),
                              Map(keys={"before_unload": Bool()}))), "tab"),
    "crash": StepKind(TrueOnly(hint="remove the step to not crash"), "tab"),
    "click": StepKind(CLICK_TARGET, "tab", {"at_once": Bool()},
                      "click a target; consecutive clicks in a tab get a person's pause unless at_once: true"),
    "send": StepKind(Map(keys={"category": Str(), "action": Str(), "label": Json(), "value": Json(),
                               "meta": Json(object=True)}, required=("category", "action")), "tab",
                     doc="call the build's send(category, action, label, value, meta)"),
    "offline": StepKind(Bool(), "context"),
    "online": StepKind(Bool(), "context"),
    "advance": StepKind(DURATION, "world", doc="run the page clock, timer by timer"),
    "jump": StepKind(DURATION, "world", doc="fast-forward the page clock once"),
    "stub": StepKind(STUB, "world"),
    "toxic": StepKind(TOXIC, "world"),
    "proxy": StepKind(Map(keys={"enabled": Bool()}, required=("enabled",)), "world"),
    "seed_outbox": StepKind(SEED_OUTBOX, "context"),
    "storage": StepKind(Str(choices=("quota", "private", "normal")), "context"),
    "restart_browser": StepKind(TrueOnly(hint="remove the step to not restart"), "context"),
    "db": StepKind(Either((Str(choices=("stop", "start")),
                           Map(keys={"call": Str(pattern=r"[A-Za-z_]\w*", pattern_help="an SQL function name"),
                                     "args": List(Json())}, required=("call",)))), "world"),
    "hook": StepKind(Either((HOOK_TARGET, Map(keys={"target": HOOK_TARGET, "args": Json(object=True)},
                                              required=("target",)))), "any"),
}
COMMON_KEYS: dict[str, Decl] = {"tab": TAB_NAME, "context": TAB_NAME, "note": Str(nonempty=False)}

# -- top level -----------------------------------------------------------------------------------
POLICY = Map(keys={name: {"duration": DURATION, "fraction": Num(min=0, max=1), "count": Int(min=0, max=B.MAX_ATTEMPTS)}[kind]
                   for name, kind in SCENARIO_SETTINGS.items()}, doc="checker policy overrides")
VISITOR_ACTIONS = site.VISITOR_ACTIONS
VISITORS = Map(keys={
    "count": Int(min=1, max=B.MAX_VISITORS), "seed": SEED, "tabs_per_visitor": Int(min=1, max=B.MAX_TABS_PER_VISITOR),
    "actions": List(Str(choices=VISITOR_ACTIONS), min_items=1, max_items=B.MAX_VISITOR_ACTIONS),
}, required=("count",), doc="many faker-made visitors, each in its own browser context")
TRACKER = Map(values=Text(), key_pattern=ATTR_NAME_PATTERN, doc="extra <script> attributes for the build")
TOP: dict[str, Decl] = {
    "name": NAME,
    "description": Str(nonempty=False, doc="the customer's report in a sentence or two"),
    "judges": List(Str(choices=tuple(GUARANTEES)), min_items=1, unique=True, doc="the guarantees this scenario judges"),
    "seed": SEED,
    "start": Instant(doc="page clock start, ISO 8601 with a timezone"),
    "tracker": TRACKER,
    "tracker_attrs": TRACKER,
    "policy": POLICY,
    "settle": DURATION,
    "heal": Bool(),
    "expect_pending": Bool(doc="events may still be pending after settle by design; --strict fails them otherwise"),
    "tags": List(Str(pattern=r"[a-z0-9_\-]+", pattern_help="lowercase letters, digits, _ and -", max_len=B.MAX_NAME),
                 max_items=B.MAX_TAGS),
    "ingest": Str(choices=("any", "postgres")),
    "visitors": VISITORS,
    "steps": List(Decl(doc="a step"), max_items=B.MAX_STEPS),  # items: STEP_KINDS
}
