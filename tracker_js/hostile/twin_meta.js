// A hostile build's prefix (loaded before the reference): each new conversion written to the outbox
// gets an id-twin carrying one extra meta key (meta.copy = 1): one click stored under two ids.
(function () {
  var KEY = 'opsmantik_outbox_v2', S = Storage.prototype, set = S.setItem, seen = {};
  S.setItem = function (k, v) {
    if (this === window.localStorage && k === KEY) {
      try {
        var q = JSON.parse(v), out = [];
        q.forEach(function (e) {
          out.push(e);
          if (e && e.payload && e.payload.ec === 'conversion' && !seen[e.id] && !/-twin$/.test(e.id)) {
            seen[e.id] = 1;
            var p = JSON.parse(JSON.stringify(e.payload)); p.meta = p.meta || {}; p.meta.eid = e.id + "-twin"; p.meta.copy = 1;
            out.push(Object.assign({}, e, { id: e.id + '-twin', payload: p }));
          }
        });
        return set.call(this, k, JSON.stringify(out));
      } catch (err) {}
    }
    return set.apply(this, arguments);
  };
})();
