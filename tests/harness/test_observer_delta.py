"""The observer page's delta (js/observer.js) keeps each key's last value parsed and compares
items structurally: it must say exactly what re-parsing both values and comparing
``JSON.stringify`` of each item says, whether the old value is the cached one or not."""
from __future__ import annotations

import json

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


@pytest.mark.browser
def test_the_cached_delta_says_what_reparsing_says() -> None:
    from playwright.sync_api import sync_playwright

    # Chained per key (the cached path), keys interleaved, and every pair out of order (a miss).
    pairs = [(VALUES[i - 1], VALUES[i], k) for i in range(1, len(VALUES)) for k in ("outbox", "dead")]
    pairs += [(VALUES[j], VALUES[i], "outbox") for i in range(len(VALUES)) for j in range(len(VALUES)) if j not in (i - 1, i)]
    with sync_playwright() as p:
        browser = p.chromium.launch(**find_browser(p).launch_kwargs())  # type: ignore[arg-type]
        try:
            page = browser.new_page()
            page.evaluate("() => { window.__tankStorage = async () => {}; }")
            page.evaluate("() => {" + OBSERVER_JS + "}")
            got = page.evaluate("""([pairs, plain]) => { const ref = eval(plain);
                return pairs.map(([o, n, k]) => { const d = window.__tankDelta(o, n, k);
                    return [JSON.stringify([d.added, d.changed, d.removed, d.length]),
                            JSON.stringify(Object.values(ref(o, n)))]; }); }""", [pairs, PLAIN])
        finally:
            browser.close()
    differ = [(pair, mine, ref) for pair, (mine, ref) in zip(pairs, got) if mine != ref]
    assert not differ, json.dumps(differ[:3])
