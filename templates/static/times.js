// Shows every <time datetime="..."> in the viewer's own time zone; the UTC
// time stays in the title (hover). Without JavaScript the page shows UTC.
(function () {
  "use strict";
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  } catch (e) {
    return;
  }
  var nodes = document.querySelectorAll("time[datetime]");
  for (var i = 0; i < nodes.length; i++) {
    var d = new Date(nodes[i].getAttribute("datetime"));
    if (!isNaN(d.getTime())) {
      nodes[i].textContent = fmt.format(d);
    }
  }
})();
