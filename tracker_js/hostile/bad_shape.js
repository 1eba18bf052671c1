// A hostile build's prefix (loaded before the reference): a body carrying a conversion is sent with
// both 'events' and 'batch' keys, so the endpoint answers 400 (wrong shape) without reading any
// event; the reference dead-letters the conversion as rejected. The conversions are valid events.
(function () {
  var f = window.fetch;
  var spoil = function (body) {
    try {
      var o = JSON.parse(body), list = o.events || o.batch || [o];
      if (!list.some(function (p) { return p && p.ec === 'conversion'; })) return body;
      return JSON.stringify({ events: list, batch: list });
    } catch (e) { return body; }
  };
  window.fetch = function (input, init) {
    if (init && typeof init.body === 'string') init = Object.assign({}, init, { body: spoil(init.body) });
    return f.call(this, input, init);
  };
})();
