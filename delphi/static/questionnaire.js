/* Autosave of the questionnaire: on each change, every 30 s when something
 * was typed, and when the page is left with unsaved changes. The page works
 * fully without this script (Save/Submit).
 *
 * After every save the server says what counts (once submitted, a save
 * re-submits the answers when they can count): the page's status line
 * (#answer-status) is replaced by the server's, the fields that keep a
 * change from counting are marked, and #autosave-status (a polite live
 * region, the only one) says what the save did.
 * Also: a reason field is highlighted only when the rating is outside the
 * previous IQR, and a submit button cannot be pressed twice.
 * A ranking gets a list to reorder by dragging or with up/down buttons (the
 * keyboard's way); the list fills the rank selects, which stay the form's
 * inputs. An answer the server refuses while autosaving is marked beside its
 * field with the server's message.
 * The progress line (#progress) follows each save: the count the server sends,
 * and the list of unanswered items without those now answered.
 * On the moderator's item form, only the chosen kind's parameters are shown. */
(function () {
  "use strict";
  var itemForm = document.getElementById("item-form");
  var kindSelect = itemForm && itemForm.querySelector("select[name=kind]");
  if (kindSelect) {
    var showKind = function () {
      Array.prototype.forEach.call(itemForm.querySelectorAll("fieldset[data-kind]"), function (set) {
        var has = set.querySelector(".has-error");
        set.hidden = set.dataset.kind !== kindSelect.value && !has;
      });
    };
    kindSelect.addEventListener("change", showKind);
    showKind();
  }
})();
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form || !form.dataset.autosaveUrl) { return; }
  var status = document.getElementById("autosave-status");
  var answerStatus = document.getElementById("answer-status");
  var dirty = false;
  var saving = false;

  function say(text) { if (status) { status.textContent = text; } }

  function formData() {
    var data = new FormData(form);
    data.delete("action");
    return data;
  }

  function markFields(fields) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-autosave-error]"), function (node) {
      node.parentNode.removeChild(node);
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-autosave-marked]"), function (node) {
      node.classList.remove("has-error");
      node.removeAttribute("data-autosave-marked");
      Array.prototype.forEach.call(node.querySelectorAll("[aria-invalid]"), function (control) {
        control.removeAttribute("aria-invalid");
      });
    });
    Object.keys(fields || {}).forEach(function (name) {
      var target = document.getElementById(name);
      if (!target) { return; }
      var control = /^(TEXTAREA|INPUT|SELECT)$/.test(target.tagName);
      var box = control ? (target.closest(".field") || target.parentNode) : target;
      if (box.classList.contains("has-error")) { return; }  // marked by the server already
      box.classList.add("has-error");
      box.setAttribute("data-autosave-marked", "1");
      if (box.hidden) { box.hidden = false; }
      if (control) { target.setAttribute("aria-invalid", "true"); }
      var note = document.createElement("p");
      note.className = "error";
      note.setAttribute("data-autosave-error", "1");
      note.textContent = fields[name];
      box.appendChild(note);
    });
  }

  function show(data) {
    if (answerStatus && data.status_html) {
      answerStatus.innerHTML = data.status_html;  // rendered and escaped by the server
      answerStatus.classList.toggle("uncounted", !!data.has_unsubmitted_changes);
    }
    markFields(data.has_unsubmitted_changes ? data.fields : {});
    showProgress(data.progress);
    say((data.saved_text || "") + " (" + new Date().toLocaleTimeString() + ")");
  }

  /* Orientation: the server's count ("5 of 12 items answered") and, in the list of
   * unanswered items, only those it still names. */
  function showProgress(progress) {
    if (!progress) { return; }
    var text = document.getElementById("progress-text");
    if (text && progress.text) { text.textContent = progress.text; }
    var bar = document.getElementById("progress-bar");
    if (bar) { bar.max = progress.total; bar.value = progress.answered; }
    var open = {};
    (progress.unanswered || []).forEach(function (id) { open[String(id)] = true; });
    var list = document.getElementById("unanswered");
    if (!list) { return; }
    var left = 0;
    Array.prototype.forEach.call(list.querySelectorAll("li[data-item]"), function (li) {
      li.hidden = !open[li.dataset.item];
      if (!li.hidden) { left += 1; }
    });
    list.hidden = left === 0;
  }

  function refused(body) {  // an answer the server refuses: nothing was saved
    var error = (body && body.error) || {};
    markFields(error.fields || {});
    say(error.message || form.dataset.failedText || "");
  }

  function save() {
    if (!dirty || saving) { return; }
    saving = true;
    dirty = false;
    var failed = false;
    var data = formData();
    fetch(form.dataset.autosaveUrl, {
      method: "POST", body: data, credentials: "same-origin", redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrf_token") || "" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.status === 422 && type.indexOf("application/json") !== -1) {
        return response.json().then(refused);
      }
      if (!response.ok || type.indexOf("application/json") === -1) {
        throw new Error(String(response.status));
      }
      return response.json().then(show);
    }).catch(function () {
      failed = true;
      dirty = true;
      say(form.dataset.failedText || "Not saved automatically: please press Save.");
    }).then(function () {
      saving = false;
      if (dirty && !failed) { save(); }  // changed again while saving
    });
  }

  function updateReasons() {
    var sets = form.querySelectorAll("fieldset[data-q1]");
    Array.prototype.forEach.call(sets, function (set) {
      var reason = form.querySelector('.reason[data-for="' + set.id + '"]');
      if (!reason) { return; }
      var checked = set.querySelector("input:checked");
      var value = checked ? Number(checked.value) : NaN;
      var outside = !isNaN(value) && (value < Number(set.dataset.q1) || value > Number(set.dataset.q3));
      var text = reason.querySelector("textarea");
      reason.hidden = !outside && !(text && text.value) && !reason.classList.contains("has-error");
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll("fieldset.ranking[data-positions]"), enhanceRanking);

  form.addEventListener("change", function () { dirty = true; updateReasons(); save(); });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function (event) {
    dirty = false;  // the form itself carries every answer
    var button = event.submitter;
    if (button && button.value === "submit") {
      if (form.dataset.submitting) { event.preventDefault(); return; }
      form.dataset.submitting = "1";
    }
  });
  window.addEventListener("pagehide", function () {
    if (dirty && navigator.sendBeacon) { navigator.sendBeacon(form.dataset.autosaveUrl, formData()); }
  });
  window.setInterval(save, 30000);
  updateReasons();

  /* A ranking: the options as a list, in the order the rank selects give
   * (then the others); moving an option (drag, or the up/down buttons) writes
   * the list's first k options into the k selects and autosaves. */
  function enhanceRanking(set) {
    var selects = set.querySelectorAll(".rank-selects select");
    if (!selects.length || selects[0].disabled) { return; }
    var k = Number(set.dataset.positions);
    var options = Array.prototype.filter.call(selects[0].options, function (o) { return o.value; });
    var order = [];
    Array.prototype.forEach.call(selects, function (select) {
      if (select.value && order.indexOf(select.value) === -1) { order.push(select.value); }
    });
    options.forEach(function (o) { if (order.indexOf(o.value) === -1) { order.push(o.value); } });
    var names = {};
    options.forEach(function (o) { names[o.value] = o.textContent; });

    var list = document.createElement("ol");
    list.className = "rank-list";
    var live = document.createElement("p");
    live.className = "sr-only";
    live.setAttribute("aria-live", "polite");

    function button(text, label, step) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "secondary rank-move";
      b.textContent = text;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", function () { move(b.closest("li"), step, b); });
      return b;
    }

    order.forEach(function (value) {
      var li = document.createElement("li");
      li.dataset.value = value;
      var number = document.createElement("span");
      number.className = "rank-number";
      li.appendChild(number);
      var handle = document.createElement("span");
      handle.className = "rank-handle";
      handle.setAttribute("aria-hidden", "true");
      handle.textContent = "\u2261";
      var text = document.createElement("span");
      text.className = "rank-text";
      text.textContent = names[value];
      var note = document.createElement("span");
      note.className = "rank-note";
      li.appendChild(handle);
      li.appendChild(text);
      li.appendChild(note);
      li.appendChild(button("\u2191", (set.dataset.upText || "Move up") + ": " + names[value], -1));
      li.appendChild(button("\u2193", (set.dataset.downText || "Move down") + ": " + names[value], 1));
      handle.addEventListener("pointerdown", function (event) { startDrag(event, li); });
      list.appendChild(li);
    });
    set.querySelector(".rank-selects").hidden = true;
    var hint = set.querySelector(".js-only");
    if (hint) { hint.hidden = false; }
    var plain = set.querySelector(".no-js");
    if (plain) { plain.hidden = true; }
    var state = document.createElement("p");
    state.className = "hint rank-state";
    set.insertBefore(state, set.querySelector(".rank-selects"));
    set.insertBefore(list, set.querySelector(".rank-selects"));
    var keep = document.createElement("button");
    keep.type = "button";
    keep.className = "secondary rank-keep";
    keep.textContent = set.dataset.keepText || "Rank in this order";
    keep.addEventListener("click", function () { fill(); live.textContent = keep.textContent; });
    set.insertBefore(keep, set.querySelector(".rank-selects"));
    set.appendChild(live);
    label();

    function label() {
      var answered = !!selects[0].value;
      Array.prototype.forEach.call(list.children, function (li, i) {
        var ranked = i < k;
        li.classList.toggle("unranked", !ranked || !answered);
        li.querySelector(".rank-number").textContent = ranked ? String(i + 1) + "." : "";
        li.querySelector(".rank-note").textContent = ranked ? "" : " (" + (set.dataset.unrankedText || "not ranked") + ")";
      });
      state.textContent = answered ? "" : (set.dataset.unsetText || "");
      state.hidden = answered;
    }

    function fill() {
      Array.prototype.forEach.call(selects, function (select, i) {
        select.value = list.children[i] ? list.children[i].dataset.value : "";
      });
      var na = set.querySelector('input[type="checkbox"]');
      if (na && na.checked) { na.checked = false; }
      label();
      selects[0].dispatchEvent(new Event("change", { bubbles: true }));
    }

    function announce(li) {
      var n = Array.prototype.indexOf.call(list.children, li) + 1;
      live.textContent = (set.dataset.movedText || "{option}: {n}")
        .replace("{option}", names[li.dataset.value]).replace("{n}", String(n));
    }

    function move(li, step, focus) {
      var target = step < 0 ? li.previousElementSibling : li.nextElementSibling;
      if (target) {
        list.insertBefore(li, step < 0 ? target : target.nextElementSibling);
      }
      fill();
      announce(li);
      if (focus) { focus.focus(); }
    }

    function startDrag(event, li) {
      event.preventDefault();
      li.classList.add("dragging");
      var moved = false;
      function over(e) {
        var under = document.elementFromPoint(e.clientX, e.clientY);
        var other = under && under.closest ? under.closest("li") : null;
        if (!other || other === li || other.parentNode !== list) { return; }
        var box = other.getBoundingClientRect();
        list.insertBefore(li, e.clientY > box.top + box.height / 2 ? other.nextElementSibling : other);
        moved = true;
      }
      function up() {
        document.removeEventListener("pointermove", over);
        document.removeEventListener("pointerup", up);
        li.classList.remove("dragging");
        if (moved) { fill(); announce(li); }
      }
      document.addEventListener("pointermove", over);
      document.addEventListener("pointerup", up);
    }
  }
})();
