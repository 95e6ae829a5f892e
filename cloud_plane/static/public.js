// Public pages (waiting-room screen, online booking): works without this file; it refreshes the
// masked queue board when the clinic's queue changes (Server-Sent Events that carry no data).
(function () {
  "use strict";

  function refresh(el) {
    return fetch(el.dataset.fragment, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var before = {};
        el.querySelectorAll(".big-no").forEach(function (n) { before[n.closest("section").id] = n.dataset.number; });
        el.innerHTML = html;
        el.querySelectorAll(".big-no").forEach(function (n) {
          var id = n.closest("section").id;
          if (before[id] !== undefined && before[id] !== n.dataset.number) n.classList.add("just-called");
        });
      })
      .catch(function () { /* the next event or a reload will fix it */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var url = document.body.dataset.events;
    var board = document.getElementById("board");
    if (!url || !board || !window.EventSource) return;
    var source = new EventSource(url);
    source.onopen = function () { refresh(board); };
    source.addEventListener("refresh", function () { refresh(board); });
  });
})();
