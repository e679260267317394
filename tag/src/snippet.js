// The xsell snippet: paste into the page (or a Google Tag Manager Custom HTML tag).
// ES5 on purpose (tag managers and old browsers). It queues calls until the tag has
// loaded; included twice, the second copy finds the first (the sentinel) and does nothing.
(function (w, d, src) {
  if (w.xsell) return;
  var x = (w.xsell = function () {
    x.q.push(arguments);
  });
  x.q = [];
  x.v = 1; // snippet version, kept by the tag as xsell.v
  var s = d.createElement("script");
  s.async = true;
  s.src = src;
  (d.head || d.documentElement).appendChild(s);
})(window, document, "__XSELL_TAG_URL__");
