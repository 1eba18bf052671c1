"""The observer page's delta (js/observer.js) keeps each key's last value parsed and compares
items structurally: it must say exactly what re-parsing both values and comparing
``JSON.stringify`` of each item says, whether the old value is the cached one or not."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness.world.browser import find_browser
from harness.world.context import OBSERVER_JS

# The rule the delta must keep, written the plain way (both values parsed, items stringified).
PLAIN = """(oldValue, newValue) => {
  const list = (v) => { if (v === null) return []; try { const x = JSON.parse(v); return Array.isArray(x) ? x : null; }
                        catch (e) { return null; } };
  const byId = (l) => { const m = new Map(); for (const i of l || []) if (i && typeof i === "object" && i.id !== undefined
                        && i.id !== null && i.id !== "") m.set(String(i.id), i); return m; };
  const a = byId(list(oldValue)), after = list(newValue);
  if (after === null) return {added: [], changed: [], removed: [...a.keys()], length: null};
  const b = byId(after), added = [], changed = [], removed = [];
  for (const [id, item] of b) { if (!a.has(id)) added.push(item);
                                else if (JSON.stringify(a.get(id)) !== JSON.stringify(item)) changed.push(item); }
  for (const id of a.keys()) if (!b.has(id)) removed.push(id);
  return {added, changed, removed, length: after.length};
}"""

VALUES = [None, '[{"id":1,"a":{"x":1,"y":2}}]', '[{"id":1,"a":{"y":2,"x":1}}]', '[{"id":1,"a":{"y":2,"x":1}},{"id":2,"b":[1,2]}]',
          '[{"id":1,"a":{"y":2,"x":1}},{"id":2,"b":[1,2,3]}]', '[{"id":2,"b":[1,{"c":null}]}]', '[{"id":2,"b":[1,{"c":{}}]}]',
          '[{"id":2,"b":[1,{"c":[]}]},{"x":3}]', "not json", '[{"id":2,"b":-0}]', '[{"id":2,"b":0}]', '{"id":2}',
          '[{"id":2,"b":"0"},{"id":"3","t":true}]', '[{"id":2,"b":"0"},{"id":"3","t":false}]', None]


def _in_observer_page(script: str, arg: Any = None) -> Any:
    """``script`` evaluated in a blank page running observer.js (its delta is ``window.__tankDelta``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**find_browser(p).launch_kwargs())  # type: ignore[arg-type]
        try:
            page = browser.new_page()
            page.evaluate("() => { window.__tankStorage = async () => {}; }")
            page.evaluate("() => {" + OBSERVER_JS + "}")
            return page.evaluate(script, arg)
        finally:
            browser.close()


@pytest.mark.browser
def test_the_cached_delta_says_what_reparsing_says() -> None:
    # Chained per key (the cached path), keys interleaved, and every pair out of order (a miss).
    pairs = [(VALUES[i - 1], VALUES[i], k) for i in range(1, len(VALUES)) for k in ("outbox", "dead")]
    pairs += [(VALUES[j], VALUES[i], "outbox") for i in range(len(VALUES)) for j in range(len(VALUES)) if j not in (i - 1, i)]
    got = _in_observer_page("""([pairs, plain]) => { const ref = eval(plain);
                return pairs.map(([o, n, k]) => { const d = window.__tankDelta(o, n, k);
                    return [JSON.stringify([d.added, d.changed, d.removed, d.length]),
                            JSON.stringify(Object.values(ref(o, n)))]; }); }""", [pairs, PLAIN])
    differ = [(pair, mine, ref) for pair, (mine, ref) in zip(pairs, got) if mine != ref]
    assert not differ, json.dumps(differ[:3])


# Values a build could write, generated in the page from a seed: items keep their exact text from
# one value to the next unless edited (what the observer reuses), with JSON whitespace, number
# spellings and escapes varied, strings holding ',', ']', '}', quotes and backslashes, duplicate and
# numeric ids, items moved, and broken values (cut, junk after the array, a trailing comma, an item
# that is a known item's text with more after it, two items joined by something else than a comma)
# between good ones.
FUZZ = """(seed) => {
  let s = seed >>> 0;
  const rnd = (n) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 8) % n; };
  const pick = (xs) => xs[rnd(xs.length)];
  const ws = () => pick(["", "", "", " ", "\\n", "\\t ", "\\r\\n"]);
  const str = () => pick(['"a"', '"a,b"', '"]"', '"}{"', '"\\\\"', '"\\\\\\""', '"\\\\u0041"', '"x\\\\\\\\"', '"\\u00e7\\u011f"',
                          '"\\\\/"', '"[1,2]"', '"{\\\\"id\\\\":1}"', '""']);
  const num = () => pick(["1", "1.0", "1e0", "-0", "0", "12", "-3.5", "1E2"]);
  const val = (d) => d > 2 ? pick([str(), num(), "true", "null"]) : pick([
    str(), num(), "true", "false", "null",
    () => "[" + ws() + Array.from({ length: rnd(3) }, () => val(d + 1)).join(ws() + "," + ws()) + ws() + "]",
    () => "{" + ws() + Array.from({ length: rnd(3) }, (_, i) => '"k' + i + '"' + ws() + ":" + ws() + val(d + 1)).join("," + ws()) + ws() + "}"]);
  const text = (v) => typeof v === "function" ? v() : v;
  const deep = (d) => { const v = val(d); return typeof v === "function" ? v() : v; };
  const item = () => {
    const id = pick(['"a"', '"b"', '"c"', '"d"', "1", '"1"', '"2"', "2", '""', "null", "{}"]);
    const fields = ['"id"' + ws() + ":" + ws() + id, '"attempts":' + num(), '"payload":' + deep(0)];
    if (rnd(4) === 0) fields.reverse();
    if (rnd(6) === 0) return text(deep(0));  // not an envelope
    return "{" + ws() + fields.join(ws() + "," + ws()) + ws() + "}";
  };
  let items = [];
  const out = [];
  for (let step = 0; step < 400; step++) {
    const op = rnd(10);
    if (op < 3 || items.length === 0) items.splice(rnd(items.length + 1), 0, item());
    else if (op < 5) items.splice(rnd(items.length), 1);
    else if (op === 5) items[rnd(items.length)] = item();
    else if (op === 6) items.push(items[rnd(items.length)]);
    else if (op === 7 && items.length > 1) { const i = rnd(items.length), j = rnd(items.length); [items[i], items[j]] = [items[j], items[i]]; }
    else if (op === 8) items.splice(0, rnd(3));
    if (items.length > 12) items.splice(0, items.length - 12);
    let v = ws() + "[" + ws() + items.map((x) => ws() + x + ws()).join(",") + ws() + "]" + ws();
    if (items.length === 0 && rnd(2)) v = "[]";
    const bad = rnd(12);
    if (bad === 0) v = v.slice(0, rnd(v.length));
    else if (bad === 1) v = v + pick(["x", ",", "]", "[]", "0"]);
    else if (bad === 2 && items.length) v = v.replace(/\\]\\s*$/, ",]");
    else if (bad === 3 && items.length) v = "[" + items[0] + pick(["x", " 1", "}", "{}", ":1"]) + "]";
    else if (bad === 4) v = pick(["", "null", "{}", '"[]"', "[", "]", "\\ufeff[]", "[,]", "[1 2]", "[1}", "[1}2]", "[1]2]"]);
    else if (bad === 5 && items.length) v = "[" + items[0] + pick(["}", "]", ":", " ", "]["]) + items[items.length - 1] + "]";
    out.push(v);
  }
  return out;
}"""


@pytest.mark.browser
def test_item_by_item_reading_says_what_reparsing_says_on_generated_values() -> None:
    """The observer reuses the parsed item of an exact item text of the key's last value and parses
    the rest: whatever a build writes, the delta (and a broken value's error) is the plain rule's."""
    differ = _in_observer_page("""([fuzz, plain, seeds]) => { const gen = eval(fuzz), ref = eval(plain);
                const errOf = (v) => { try { const x = JSON.parse(v); return Array.isArray(x) ? null : "array"; }
                                       catch (e) { return "not JSON: " + String(e.message || e); } };
                const differ = [];
                for (const seed of seeds) {
                  const values = gen(seed);
                  // Two keys in turn: each event's old value is the key's previous new value (cached),
                  // and every fifth event's old value is another value of the run (a miss).
                  const last = { k0: null, k1: null };
                  values.forEach((v, i) => {
                    const key = "k" + (i % 2), old = i % 5 === 4 ? values[(i * 7) % values.length] : last[key];
                    const d = window.__tankDelta(old, v, key);
                    const mine = JSON.stringify([d.added, d.changed, d.removed, d.length]);
                    const want = JSON.stringify(Object.values(ref(old, v)));
                    const err = errOf(v);
                    if (mine !== want || (err !== null && err !== "array" && d.parse_error !== err)) differ.push([seed, i, old, v, mine, want]);
                    last[key] = v;
                  });
                }
                return differ.slice(0, 3);
            }""", [FUZZ, PLAIN, list(range(1, 26))])
    assert not differ, json.dumps(differ)


@pytest.mark.browser
def test_a_write_that_changes_one_entry_parses_only_that_entry() -> None:
    """What makes a day-long run cheap: a 100-entry outbox written again with one entry shed in the
    middle, the oldest dead letter dropped and one entry added parses the added entry alone."""
    counts = _in_observer_page("""() => {
                const parse = JSON.parse;
                let parsed = 0;
                JSON.parse = function (text) { parsed++; return parse.apply(this, arguments); };
                const env = (i) => ({ id: "e" + i, ts: 1000 + i, attempts: 0, payload: { ec: "system", ea: "heartbeat", ev: i } });
                let list = Array.from({ length: 100 }, (_, i) => env(i)), old = null, next = 100;
                const counts = [];
                for (let step = 0; step < 20; step++) {
                  list.splice(step % 2 ? 3 : 0, 1);
                  list.push(env(next++));
                  const value = JSON.stringify(list);
                  parsed = 0;
                  const d = window.__tankDelta(old, value, "outbox");
                  counts.push([parsed, d.added.length, d.removed.length]);
                  old = value;
                }
                JSON.parse = parse;
                return counts;
            }""")
    assert counts[0] == [100, 100, 0]  # the first value: every entry
    assert counts[1:] == [[1, 1, 1]] * 19
