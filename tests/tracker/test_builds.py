"""Builds: the reference, every mutant (patches apply exactly once, valid JS), bad mutant files."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness import builds
from harness.builds import BuildError, Mutant, apply_patches, build_mutant, list_mutants, load_build, load_reference
from harness.checker.guarantees import GUARANTEES

REQUIRED = {
    "stale_save": "no_loss",
    "beacon_removes_unconfirmed": "no_loss",
    "no_timeout": "timeout",
    "any_response_ok": "response_ok",
    "or_drop_rule": "drop_rule",
    "drop_after_10": "drop_rule",
    "no_beacon": "last_gasp",
    "beforeunload_only": "last_gasp",
    "no_online_listener": "trigger_online",
    "silent_trim": "overflow",
    "no_cross_tab_guard": "no_loss",
    "blocks_on_4xx": "dead_letter",
    "no_eid": "exactly_once",
    "new_id_per_retry": "exactly_once",
    "no_retry": "retry",
    "no_load_processing": "trigger_load",
    "send_before_enqueue": "nothing_unexpected",
    "silent_storage_failure": "no_loss",
    "batch_reject_drops_all": "dead_letter",
    "ignores_retry_after": "backoff",
    "no_backoff": "backoff",
    "month_at_send": "session_month",
    "retry_storm": "backoff",
    "head_only_drop": "drop_rule",
    "skip_but_keep_expired": "drop_rule",
    "timeout_15s": "timeout",
    "form_tracking_off": "no_loss",
    "click_debounce_2s": "no_loss",
    "deadletter_no_payload": "dead_letter",
    "reject_head_only": "dead_letter",
    "side_channel": "nothing_unexpected",
}
NODE = shutil.which("node")


def node_check(source: str, tmp_path: Path, name: str) -> None:
    if NODE is None:
        pytest.skip("node is not on PATH: cannot syntax-check the JavaScript")
    path = tmp_path / f"{name}.js"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{name} is not valid JavaScript:\n{result.stderr}"


def test_every_required_mutant_exists_with_its_guarantee() -> None:
    mutants = {m.name: m for m in list_mutants()}
    assert set(mutants) == set(REQUIRED)
    for name, guarantee in REQUIRED.items():
        assert guarantee in mutants[name].breaks, name
        assert all(b in GUARANTEES for b in mutants[name].breaks)
        assert mutants[name].weak_spot.startswith("SPEC §") and mutants[name].description


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_mutant_applies_and_is_valid_javascript(name: str, tmp_path: Path) -> None:
    source = build_mutant(name)
    assert source != load_reference()
    assert "BUG" in source or "BY DESIGN" in source  # every patch marks its change: a served build is recognisable
    node_check(source, tmp_path, name)


def test_reference_is_valid_javascript(tmp_path: Path) -> None:
    node_check(load_reference(), tmp_path, "reference")


def test_load_build_names_and_files(tmp_path: Path) -> None:
    ref = load_build("reference")
    assert ref.kind == "reference" and ref.path == builds.REFERENCE_PATH and ref.breaks == ()
    mutant = load_build("mutant:no_timeout")
    assert mutant.kind == "mutant" and mutant.name == "mutant:no_timeout" and mutant.breaks == ("timeout",)
    assert mutant.digest != ref.digest and len(mutant.digest) == 12
    custom = tmp_path / "candidate.js"
    custom.write_text("console.log('candidate');\n", encoding="utf-8")
    build = load_build(custom)
    assert build.kind == "file" and build.source.startswith("console.log") and build.path == custom.resolve()
    assert load_build(str(custom)).kind == "file"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mutant:nope", "unknown mutant 'nope' (known: any_response_ok"),
        ("mutant:../tracker", "unknown mutant"),
        ("no/such/file.js", "neither 'reference', 'mutant:NAME' nor an existing JavaScript file"),
    ],
)
def test_load_build_errors(spec: str, message: str) -> None:
    with pytest.raises(BuildError, match=None) as info:
        load_build(spec)
    assert message in str(info.value)


def test_empty_build_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.js"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(BuildError, match="is empty"):
        load_build(empty)


def _mutant(path: Path, *finds: str) -> Mutant:
    return Mutant("m", "SPEC §3.1", ("no_loss",), "d", tuple(builds.Patch(f, "x") for f in finds), path)


def test_patch_must_match_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    with pytest.raises(BuildError) as info:
        apply_patches(_mutant(path, "a", "zzz"), "a b c")
    assert str(path) in str(info.value) and "patches[1]" in str(info.value) and "found 0 match(es)" in str(info.value)
    with pytest.raises(BuildError, match=r"patches\[0\].*found 2 match\(es\)"):
        apply_patches(_mutant(path, "a"), "a a")
    assert apply_patches(_mutant(path, "b"), "a b c") == "a x c"


BAD_FILES = {
    "not_yaml": ("name: [unclosed", "not valid YAML"),
    "a_list": ("- 1\n", "must be a mapping"),
    "unknown_key": ("name: unknown_key\nweak_spot: SPEC §3.1\nbreaks: [no_loss]\ndescription: d\npatches: [{find: a, replace: b}]\nextra: 1\n", "unknown field(s) extra"),
    "wrong_name": ("name: other\nweak_spot: SPEC §3.1\nbreaks: [no_loss]\ndescription: d\npatches: [{find: a, replace: b}]\n", "must match the file name"),
    "bad_guarantee": ("name: bad_guarantee\nweak_spot: SPEC §3.1\nbreaks: [no_loss, nope]\ndescription: d\npatches: [{find: a, replace: b}]\n", "unknown guarantee(s) nope"),
    "no_breaks": ("name: no_breaks\nweak_spot: SPEC §3.1\nbreaks: []\ndescription: d\npatches: [{find: a, replace: b}]\n", "'breaks' must be a non-empty list"),
    "bad_spot": ("name: bad_spot\nweak_spot: somewhere\nbreaks: [no_loss]\ndescription: d\npatches: [{find: a, replace: b}]\n", "'weak_spot' must cite the spec"),
    "no_patches": ("name: no_patches\nweak_spot: SPEC §3.1\nbreaks: [no_loss]\ndescription: d\npatches: []\n", "'patches' must be a non-empty list"),
    "empty_find": ("name: empty_find\nweak_spot: SPEC §3.1\nbreaks: [no_loss]\ndescription: d\npatches: [{find: '', replace: b}]\n", "patches[0]: 'find' must be a non-empty string"),
    "noop_patch": ("name: noop_patch\nweak_spot: SPEC §3.1\nbreaks: [no_loss]\ndescription: d\npatches: [{find: a, replace: a}]\n", "changes nothing"),
    "patch_key": ("name: patch_key\nweak_spot: SPEC §3.1\nbreaks: [no_loss]\ndescription: d\npatches: [{find: a, with: b}]\n", "unknown field(s) with"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_invalid_mutant_files_name_the_file_and_field(name: str, tmp_path: Path) -> None:
    text, message = BAD_FILES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as info:
        builds.read_mutant(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_stale_patch_is_reported_by_list_and_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stale.yaml").write_text(
        "name: stale\nweak_spot: SPEC §3.1\nbreaks: [no_loss]\ndescription: d\n"
        "patches: [{find: 'this text is not in tracker.js', replace: b}]\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(builds, "MUTANTS_DIR", tmp_path)
    assert [m.name for m in list_mutants()] == ["stale"]
    with pytest.raises(BuildError, match=r"stale\.yaml: patches\[0\].*found 0 match"):
        build_mutant("stale")


def test_mutant_diff_shows_only_the_patched_lines() -> None:
    diff = builds.mutant_diff("any_response_ok")
    assert "-    return res.ok;" in diff and "+    return true; // BUG" in diff
    assert sum(1 for line in diff.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))) == 2
