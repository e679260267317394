// The xsell snippet: paste into the page (or a Google Tag Manager Custom HTML tag).
// It queues calls until the tag has loaded, and keeps the first copy if included twice.
(function (w, d, src) {
  if (w.xsell) return;
  var x = (w.xsell = function () {
    x.q.push(arguments);
  });
  x.q = [];
  x.v = 1;
  var s = d.createElement("script");
  s.async = true;
  s.src = src;
  d.head.appendChild(s);
})(window, document, "__XSELL_TAG_URL__");
