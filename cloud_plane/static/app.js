// clinicbox pages: progressive enhancement only. Every form works without this file; it adds
// live updates (Server-Sent Events from /events) and search-as-you-type.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function refresh(el) {
    // Re-render a server-side fragment (queue rows, print jobs) in place.
    if (!el || !el.dataset.fragment) return Promise.resolve();
    return fetch(el.dataset.fragment, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { el.innerHTML = html; })
      .catch(function () { /* the next event or a reload will fix it */ });
  }

  function flashRow(id) {
    var row = document.getElementById("visit-" + id);
    if (row) { row.classList.add("flash"); }
  }

  function setBox(data) {
    var holder = document.getElementById("box-indicator");
    if (!holder || !data || !data.box_id) return;
    var box = holder.querySelector('[data-box-id="' + CSS.escape(data.box_id) + '"]');
    if (!box) { window.location.reload(); return; }
    box.classList.toggle("online", !!data.online);
    box.classList.toggle("offline", !data.online);
    var state = box.querySelector(".state");
    if (state) state.textContent = data.online ? box.dataset.onlineText : box.dataset.offlineText;
  }

  function startLive() {
    var page = document.body.dataset.page;
    if (!window.EventSource || !page || page === "login" || page === "error") return;
    var banner = document.getElementById("live-status");
    var visitId = document.body.dataset.visitId;
    var queue = document.getElementById("queue-body");
    var jobs = document.getElementById("print-jobs");
    var source = new EventSource("/events");
    source.onopen = function () {
      if (banner) banner.hidden = true;
      document.body.dataset.live = "open"; // subscribed: events from now on reach this page
      // Events raised while the page was loading (or the stream was down) were not delivered:
      // catch up from the server once the stream is open.
      if (queue) refresh(queue);
      if (jobs) refresh(jobs);
    };
    source.onerror = function () { if (banner) banner.hidden = false; };
    function onVisit(ev) {
      var data = JSON.parse(ev.data);
      if (queue) refresh(queue).then(function () { flashRow(data.visit_id); });
    }
    source.addEventListener("visit.created", onVisit);
    source.addEventListener("visit.updated", onVisit);
    source.addEventListener("print.updated", function (ev) {
      var data = JSON.parse(ev.data);
      if (jobs && String(data.visit_id) === visitId) refresh(jobs);
    });
    source.addEventListener("box.status", function (ev) { setBox(JSON.parse(ev.data)); });
    // Box devices at the counter (barcode scanner, card read at a pharmacy): page scripts
    // (pharmacy.js) listen for these as DOM events.
    ["scan.read", "card.read"].forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        document.dispatchEvent(new CustomEvent("clinicbox:" + kind, { detail: JSON.parse(ev.data) }));
      });
    });
    // Any fragment may ask to be refreshed on given event kinds (叫號 panel: queue.called ...).
    document.querySelectorAll("[data-live-kinds][data-fragment]").forEach(function (el) {
      source.addEventListener("open", function () { refresh(el); });
      el.dataset.liveKinds.split(" ").forEach(function (kind) {
        source.addEventListener(kind, function () { refresh(el); });
      });
    });
  }

  function startPrintButtons() {
    // Browser print view (日結 report): CSP allows no inline handlers.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function searchJson(url, q) {
    return fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) { return body.items || []; });
  }

  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value;
    return el;
  }

  function renderPatients(box, items) {
    box.textContent = "";
    if (!items.length) { box.appendChild(text("p", "muted", box.dataset.empty)); return; }
    items.forEach(function (p, i) {
      var label = document.createElement("label");
      label.className = "hit";
      var radio = document.createElement("input");
      radio.type = "radio"; radio.name = "patient_id"; radio.value = p.id;
      if (items.length === 1) radio.checked = true;
      label.appendChild(radio);
      label.appendChild(text("span", "pname", p.name));
      var bits = [p.chart_no, p.national_id || "", p.birth_date];
      if (p.phone) bits.push(p.phone);
      label.appendChild(text("span", "muted", bits.join(" · ")));
      box.appendChild(label);
    });
  }

  function renderDatalist(list, items, kind) {
    list.textContent = "";
    items.forEach(function (h) {
      var opt = document.createElement("option");
      opt.value = h.code;
      if (kind === "icd10" || kind === "herb") opt.label = h.code + " " + (h.name_zh || h.name_en);
      else opt.label = h.code + " " + (h.name_zh || h.name_en) + (h.price_points ? " · " + h.price_points : "");
      list.appendChild(opt);
    });
    list._items = items;
  }

  function fillDrugDefaults(input, list) {
    // Picking a formulary drug fills its usual dose, frequency and route.
    var hit = (list._items || []).filter(function (h) { return h.code === input.value.toUpperCase(); })[0];
    if (!hit || !input.form) return;
    var f = input.form;
    if (hit.default_dose && f.dose) f.dose.value = hit.default_dose;
    if (hit.default_frequency && f.frequency) f.frequency.value = hit.default_frequency;
    if (hit.default_route && f.route) f.route.value = hit.default_route;
  }

  function startSearch() {
    document.querySelectorAll("input[data-search]").forEach(function (input) {
      var target = document.getElementById(input.dataset.results);
      if (!target) return;
      var kind = input.dataset.kind || "patient";
      var last = "";
      input.addEventListener("input", debounce(function () {
        var q = input.value.trim();
        if (q === last) return;
        last = q;
        if (!q) return;
        searchJson(input.dataset.search, q).then(function (items) {
          if (input.value.trim() !== q) return;  // typed on meanwhile
          if (kind === "patient") renderPatients(target, items);
          else renderDatalist(target, items, kind);
        });
      }, 200));
      if (kind === "drug") input.addEventListener("change", function () { fillDrugDefaults(input, target); });
    });
  }

  function startAccessKeys() {
    // Browsers disagree on the accesskey modifier (Alt, Alt+Shift, Ctrl+Alt); the pages print
    // Alt+<key>, so make exactly that work everywhere.
    document.addEventListener("keydown", function (ev) {
      if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var m = /^(Key|Digit)(.)$/.exec(ev.code || "");
      var key = (m ? m[2] : ev.key || "").toLowerCase();
      if (!key) return;
      var el = document.querySelector('[accesskey="' + CSS.escape(key) + '"]');
      if (!el || el.disabled) return;
      ev.preventDefault();
      if (el.tagName === "BUTTON" || el.tagName === "A") el.click();
      else { el.focus(); if (el.select) el.select(); }
    });
  }

  // Continuity mode. In the cloud: remember the clinic box's LAN address and go there (same
  // path) when the cloud stops answering. On the box: come back once the cloud answers again and
  // every offline record has reached it, unless something typed here is not saved yet.
  var CONTINUITY_KEY = "clinicbox.continuity_url";
  var PROBE_MS = 3000;

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  function startContinuity() {
    var body = document.body;
    var page = body.dataset.page;
    var dirty = false;
    document.addEventListener("input", function () { dirty = true; });
    document.addEventListener("submit", function () { dirty = false; });
    if (body.dataset.continuity === "box") {
      setInterval(function () {
        getJson("/continuity/status?path=" + encodeURIComponent(location.pathname))
          .then(function (s) {
            var back = document.getElementById("continuity-back");
            if (back) back.hidden = !s.cloud_ok;
            if (s.cloud_ok && s.pending === 0 && s.back_url && !dirty) location.href = s.back_url;
          })
          .catch(function () { /* the box itself is restarting: try again */ });
      }, PROBE_MS);
      return;
    }
    if (page === "login" || page === "error") return;
    getJson("/api/continuity").then(function (d) {
      if (d.url) localStorage.setItem(CONTINUITY_KEY, d.url);
    }).catch(function () {});
    var failures = 0;
    setInterval(function () {
      getJson("/healthz").then(function () { failures = 0; }).catch(function () {
        failures += 1;
        var url = localStorage.getItem(CONTINUITY_KEY);
        if (failures >= 2 && url) {
          location.href = url.replace(/\/$/, "") + location.pathname + location.search;
        }
      });
    }, PROBE_MS);
  }

  function startToothChart() {
    // Each tooth button toggles its FDI code in the 牙位 field of the same form; the field
    // stays the source of truth (typing "36 37" works the same).
    document.querySelectorAll("form").forEach(function (form) {
      var input = form.querySelector("input[data-tooth-input]");
      if (!input) return;
      var buttons = form.querySelectorAll("button[data-tooth]");
      function codes() { return input.value.toUpperCase().split(/[\s,、;/]+/).filter(Boolean); }
      function sync() {
        var have = codes();
        buttons.forEach(function (b) { b.setAttribute("aria-pressed", have.indexOf(b.dataset.tooth) >= 0 ? "true" : "false"); });
      }
      buttons.forEach(function (b) {
        b.addEventListener("click", function () {
          var have = codes(), i = have.indexOf(b.dataset.tooth);
          if (i >= 0) have.splice(i, 1); else have.push(b.dataset.tooth);
          input.value = have.join(" ");
          sync();
        });
      });
      input.addEventListener("input", sync);
      sync();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startToothChart();
    startAccessKeys();
    startLive();
    startSearch();
    startContinuity();
    startPrintButtons();
  });
})();
