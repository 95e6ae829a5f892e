// The pharmacist's pages: a slip scanned by the box's serial scanner (live "scan.read") is put
// into the scan field and submitted; an NHI card read at the box (live "card.read") fills the
// patient fields, shows the patient's slips, and on a slip's page fills the card field.
// A keyboard-wedge scanner types into the focused field: a code that lands in another field of
// the pharmacy page is moved to the scan field, that field gets back what it held, and the scan
// is submitted. Everything here is an enhancement; every form also works without it.
(function () {
  "use strict";

  var MAGIC = "CBRX1$";

  function byName(form, name) { return form ? form.querySelector('[name="' + name + '"]') : null; }

  function set(form, name, value) {
    var el = byName(form, name);
    if (el && value !== undefined && value !== null) el.value = value;
  }

  function rocDate(iso) {
    // "1979-05-20" → "0680520": what staff type from a card
    var p = (iso || "").split("-");
    if (p.length !== 3) return iso || "";
    var y = String(parseInt(p[0], 10) - 1911);
    while (y.length < 3) y = "0" + y;
    return y + p[1] + p[2];
  }

  function loadSlips(nationalId) {
    var box = document.getElementById("card-slips");
    if (!box) return;
    fetch("/pharmacy/patient?national_id=" + encodeURIComponent(nationalId), {
      credentials: "same-origin", headers: { Accept: "text/html" }
    }).then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; });
  }

  function onScan(ev) {
    var scan = document.getElementById("scan-form");
    if (!scan || !ev.detail || !ev.detail.code) return;
    set(scan, "rx_code", ev.detail.code);
    var live = document.getElementById("scan-live");
    if (live) live.textContent = live.dataset.text + " " + (ev.detail.box_id || "");
    scan.submit();
  }

  function onCard(ev) {
    var card = ev.detail || {};
    var dispense = document.getElementById("dispense-form");
    if (dispense) {
      set(dispense, "card_id", card.id_no);
      var field = byName(dispense, "card_id");
      if (field) field.focus();
      return;
    }
    var typed = document.getElementById("typed-form");
    if (typed) {
      set(typed, "national_id", card.id_no);
      set(typed, "name", card.name);
      set(typed, "birth_date", rocDate(card.birth_date));
      set(typed, "sex", card.sex);
      set(typed, "card_read", "1");
    }
    set(document.getElementById("scan-form"), "name", card.name);
    var status = document.getElementById("card-status");
    if (status) status.textContent = status.dataset.read + " " + card.name + " " + card.id_no;
    loadSlips(card.id_no);
  }

  function guardWedge() {
    var scan = document.getElementById("scan-form");
    if (!scan) return;
    var target = byName(scan, "rx_code");
    var before = new WeakMap();
    document.addEventListener("focusin", function (ev) {
      if (ev.target && "value" in ev.target) before.set(ev.target, ev.target.value);
    });
    document.addEventListener("keydown", function (ev) {
      var el = ev.target;
      if (ev.key !== "Enter" || !el || el === target || typeof el.value !== "string") return;
      var at = el.value.indexOf(MAGIC);
      if (at < 0) return;
      ev.preventDefault();
      target.value = el.value.slice(at);
      el.value = before.has(el) ? before.get(el) : el.value.slice(0, at);
      scan.submit();
    }, true);
  }

  document.addEventListener("clinicbox:scan.read", onScan);
  document.addEventListener("clinicbox:card.read", onCard);
  guardWedge();
})();
