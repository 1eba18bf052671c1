"""Tracker builds under test: the reference, its named mutants, or any JavaScript file.

A mutant is data (``tracker_js/mutants/<name>.yaml``): exact-text patches applied to the
reference when it is loaded, so every mutant stays in step with the reference and differs from
it only in the bug it models. A patch whose ``find`` text does not occur exactly once is an
error that names the file, the patch and the number of matches — a silently skipped patch would
turn a mutant into the reference and make the harness look blind.
"""
from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from harness.contract.errors import UsageProblem

if TYPE_CHECKING:  # harness.builds.profile loads the scenario format: the CLI imports this package
    from harness.builds.profile import Profile

REPO_ROOT = Path(__file__).resolve().parents[2]
TRACKER_DIR = REPO_ROOT / "tracker_js"
REFERENCE_PATH = TRACKER_DIR / "tracker.js"
MUTANTS_DIR = TRACKER_DIR / "mutants"
SITE_DIR = TRACKER_DIR / "site"

TRACKER_PLACEHOLDER = "<!--TANK_TRACKER-->"
"""Where the Sync stub puts the tracker ``<script>`` tag in a site page."""

SITE_PAGES: dict[str, Path] = {
    "/": SITE_DIR / "home.html",
    "/page2": SITE_DIR / "page2.html",
    "/__tank/observer": SITE_DIR / "observer.html",
}
"""Site routes and their page files (the observer page has no placeholder and no tracker)."""

MUTANT_KEYS = {"name", "weak_spot", "breaks", "description", "patches", "shown_by"}
PATCH_KEYS = {"find", "replace"}

BuildKind = Literal["reference", "mutant", "file"]


class BuildError(UsageProblem):
    """A build cannot be loaded: unknown name, missing file, invalid mutant, stale patch."""


@dataclass(frozen=True)
class Patch:
    find: str
    replace: str


@dataclass(frozen=True)
class Mutant:
    """A named bug: which weak spot of SPEC §3 it models and which guarantees it must break."""

    name: str
    weak_spot: str
    breaks: tuple[str, ...]
    description: str
    patches: tuple[Patch, ...]
    path: Path
    shown_by: tuple[str, ...] = ()  # bundled scenarios where the bug shows (the mutation test runs these)


@dataclass(frozen=True)
class Build:
    """Tracker source ready to serve as ``/tracker.js``."""

    name: str  # "reference", "mutant:<name>" or "file:<path>"
    source: str
    kind: BuildKind
    path: Path | None
    mutant: Mutant | None = field(default=None, compare=False)
    profile: "Profile | None" = field(default=None, compare=False)  # declared differences from the contract

    @property
    def digest(self) -> str:
        """Short content hash, so a report says exactly which source ran."""
        return hashlib.sha256(self.source.encode()).hexdigest()[:12]

    @property
    def breaks(self) -> tuple[str, ...]:
        """Guarantees this build is expected to break (empty unless it is a mutant)."""
        return self.mutant.breaks if self.mutant else ()


def load_reference() -> str:
    """The reference tracker source."""
    try:
        return REFERENCE_PATH.read_text(encoding="utf-8")
    except OSError as exc:
        raise BuildError(f"cannot read the reference tracker {REFERENCE_PATH}: {exc.strerror}") from exc


def _require_str(data: dict[str, Any], key: str, where: str, *, empty_ok: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        raise BuildError(f"{where}: '{key}' must be a {'string' if empty_ok else 'non-empty string'}, got {value!r}")
    return value


def _parse_patches(raw: Any, where: str) -> tuple[Patch, ...]:
    if not isinstance(raw, list) or not raw:
        raise BuildError(f"{where}: 'patches' must be a non-empty list of {{find, replace}}")
    patches = []
    for i, item in enumerate(raw):
        at = f"{where}: patches[{i}]"
        if not isinstance(item, dict):
            raise BuildError(f"{at} must be a mapping with 'find' and 'replace', got {type(item).__name__}")
        unknown = sorted(set(item) - PATCH_KEYS)
        if unknown:
            raise BuildError(f"{at}: unknown field(s) {', '.join(map(str, unknown))} (allowed: find, replace)")
        find = _require_str(item, "find", at)
        replace = _require_str(item, "replace", at, empty_ok=True)
        if find == replace:
            raise BuildError(f"{at}: 'replace' equals 'find', the patch changes nothing")
        patches.append(Patch(find=find, replace=replace))
    return tuple(patches)


def read_mutant(path: Path) -> Mutant:
    """Parse and validate one mutant file (not yet applied)."""
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BuildError(f"{where}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise BuildError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise BuildError(f"{where}: a mutant file must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(map(str, data)) - MUTANT_KEYS)
    if unknown:
        raise BuildError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(MUTANT_KEYS))})")
    name = _require_str(data, "name", where)
    if name != path.stem:
        raise BuildError(f"{where}: name {name!r} must match the file name {path.stem!r}")
    weak_spot = _require_str(data, "weak_spot", where)
    if not weak_spot.startswith("SPEC §"):
        raise BuildError(f"{where}: 'weak_spot' must cite the spec (e.g. 'SPEC §3.1 …'), got {weak_spot!r}")
    breaks = data.get("breaks")
    if not isinstance(breaks, list) or not breaks or not all(isinstance(b, str) for b in breaks):
        raise BuildError(f"{where}: 'breaks' must be a non-empty list of guarantee ids, got {breaks!r}")
    from harness.checker.guarantees import GUARANTEES, check_ids  # the checker package loads the whole checker

    bad = check_ids(breaks)
    if bad:
        raise BuildError(
            f"{where}: 'breaks' names unknown guarantee(s) {', '.join(bad)} (known: {', '.join(GUARANTEES)})"
        )
    return Mutant(
        name=name,
        weak_spot=weak_spot,
        breaks=tuple(breaks),
        description=_require_str(data, "description", where).strip(),
        patches=_parse_patches(data.get("patches"), where),
        path=path,
        shown_by=_shown_by(data.get("shown_by", []), where),
    )


def _shown_by(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(n, str) and n for n in raw):
        raise BuildError(f"{where}: 'shown_by' must be a list of scenario names, got {raw!r}")
    return tuple(raw)


def list_mutants() -> list[Mutant]:
    """Every mutant file, validated, sorted by name."""
    if not MUTANTS_DIR.is_dir():
        raise BuildError(f"mutant folder {MUTANTS_DIR} is missing")
    return [read_mutant(p) for p in sorted(MUTANTS_DIR.glob("*.yaml"))]


def find_mutant(name: str) -> Mutant:
    path = MUTANTS_DIR / f"{name}.yaml"
    if "/" in name or "\\" in name or not path.is_file():
        known = ", ".join(p.stem for p in sorted(MUTANTS_DIR.glob("*.yaml")))
        raise BuildError(f"unknown mutant {name!r} (known: {known})")
    return read_mutant(path)


def apply_patches(mutant: Mutant, reference: str) -> str:
    """The reference with each patch applied in order; every ``find`` must match exactly once."""
    source = reference
    for i, patch in enumerate(mutant.patches):
        count = source.count(patch.find)
        if count != 1:
            first_line = patch.find.strip().splitlines()[0][:80]
            raise BuildError(
                f"{mutant.path}: patches[{i}] 'find' must occur exactly once in the reference"
                f"{' (after the earlier patches)' if i else ''}, found {count} match(es): {first_line!r}"
            )
        source = source.replace(patch.find, patch.replace, 1)
    return source


def build_mutant(name: str) -> str:
    """The source of the named mutant."""
    return apply_patches(find_mutant(name), load_reference())


def mutant_diff(name: str) -> str:
    """Unified diff reference → mutant, for reports and ``tankharness mutants``."""
    reference = load_reference()
    mutated = apply_patches(find_mutant(name), reference)
    return "".join(
        difflib.unified_diff(
            reference.splitlines(keepends=True),
            mutated.splitlines(keepends=True),
            fromfile="tracker.js",
            tofile=f"mutant:{name}",
        )
    )


def load_build(spec: str | Path) -> Build:
    """``"reference"``, ``"mutant:NAME"`` or a path to any JavaScript file."""
    if isinstance(spec, str) and spec == "reference":
        return Build(name="reference", source=load_reference(), kind="reference", path=REFERENCE_PATH)
    if isinstance(spec, str) and spec.startswith("mutant:"):
        mutant = find_mutant(spec[len("mutant:"):])
        return Build(
            name=f"mutant:{mutant.name}",
            source=apply_patches(mutant, load_reference()),
            kind="mutant",
            path=mutant.path,
            mutant=mutant,
        )
    path = Path(spec)
    if not path.is_file():
        raise BuildError(
            f"build {str(spec)!r} is neither 'reference', 'mutant:NAME' nor an existing JavaScript file"
        )
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot read build file {path}: {exc}") from exc
    if not source.strip():
        raise BuildError(f"build file {path} is empty")
    return Build(name=f"file:{path}", source=source, kind="file", path=path.resolve())
