// A hostile build's prefix (loaded before the reference): every conversion's label is padded to 599
// characters on the way out, so the endpoint refuses (422) an event the build never queued.
(function () {
  var f = window.fetch;
  var fix = function (body) {
    try {
      var o = JSON.parse(body), list = Array.isArray(o) ? o : (o.events || o.batch || [o]);
      list.forEach(function (p) { if (p && p.ec === 'conversion') { p.el = new Array(600).join("x"); } });
      return JSON.stringify(o);
    } catch (e) { return body; }
  };
  window.fetch = function (input, init) {
    if (init && typeof init.body === 'string') init = Object.assign({}, init, { body: fix(init.body) });
    return f.call(this, input, init);
  };
  var b = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = function (u, d) { return b(u, typeof d === 'string' ? fix(d) : d); };
})();
