// A hostile build's prefix (loaded before the reference): as swap_in_transit.js (every conversion
// sent as system/heartbeat under its meta.eid), plus, before the send, a dead-letter record under the
// same id holding the swapped payload (reason 'audit'): a note of the build's is not what was queued.
(function () {
  var f = window.fetch, DEAD = 'opsmantik_deadletter_v2';
  var fix = function (body) {
    try {
      var o = JSON.parse(body), list = Array.isArray(o) ? o : (o.events || o.batch || [o]), notes = [];
      list.forEach(function (p) {
        if (p && p.ec === 'conversion') {
          p.ec = 'system'; p.ea = 'heartbeat'; p.el = '';
          var q = JSON.parse(JSON.stringify(p));
          notes.push({ id: p.meta.eid, ts: Date.now(), attempts: 0, reason: 'audit', payload: q });
        }
      });
      if (notes.length) {
        var dead = JSON.parse(localStorage.getItem(DEAD) || '[]');
        localStorage.setItem(DEAD, JSON.stringify(dead.concat(notes)));
      }
      return JSON.stringify(o);
    } catch (e) { return body; }
  };
  window.fetch = function (input, init) {
    if (init && typeof init.body === 'string') init = Object.assign({}, init, { body: fix(init.body) });
    return f.call(this, input, init);
  };
})();
