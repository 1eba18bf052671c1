"""Short ids in reports: unique within a report, also for ids that start with a timestamp."""
from __future__ import annotations

from harness.checker import judge
from harness.checker.fmt import short, unique_among

from .builders import HB


def test_ids_sharing_a_timestamp_prefix_get_prefixes_that_tell_them_apart():
    ids = ["mmlsga2o.3ilxv9", "mmlsga2o.1abcde", "mmlsga2o.1abzzz", "zz"]
    with unique_among(ids):
        shown = [short(i) for i in ids]
    assert shown == ["mmlsga2o.3", "mmlsga2o.1abc", "mmlsga2o.1abz", "zz"]
    assert len(set(shown)) == len(ids)
    assert short("mmlsga2o.3ilxv9") == "mmlsga2o"  # outside a report: the plain width


def test_a_report_names_two_lost_envelopes_of_one_millisecond_apart():
    b = HB()
    x = b.env("mmlsga2o.3ilxv9", "conversion", "phone_call")
    y = b.env("mmlsga2o.1abcde", "conversion", "phone_call", el="2")
    b.add(x, y)
    b.remove(x.id, y.id)
    v = judge(b.build(), ["no_loss"])
    lost = v.guarantees["no_loss"].violations
    assert len(lost) == 2
    heads = {line.split()[0] for line in lost}
    assert heads == {"mmlsga2o.3", "mmlsga2o.1"}, lost
