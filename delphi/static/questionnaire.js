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
 * previous IQR, and a submit button cannot be pressed twice. */
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
      var control = node.querySelector("textarea");
      if (control) { control.removeAttribute("aria-invalid"); }
    });
    Object.keys(fields || {}).forEach(function (name) {
      var target = document.getElementById(name);
      if (!target) { return; }
      var box = target.tagName === "TEXTAREA" ? target.parentNode : target;
      if (box.classList.contains("has-error")) { return; }  // marked by the server already
      box.classList.add("has-error");
      box.setAttribute("data-autosave-marked", "1");
      if (box.hidden) { box.hidden = false; }
      if (target.tagName === "TEXTAREA") { target.setAttribute("aria-invalid", "true"); }
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
    say((data.saved_text || "") + " (" + new Date().toLocaleTimeString() + ")");
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
      if (!response.ok || type.indexOf("application/json") === -1) {
        throw new Error(String(response.status));
      }
      return response.json();
    }).then(show).catch(function () {
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
})();
