/* Autosave of the questionnaire: every 30 s when something changed, and on
 * each change. The page works fully without this script (Save/Submit).
 * Also: a reason field is highlighted only when the rating is outside the
 * previous IQR, and a submit button cannot be pressed twice. */
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form || !form.dataset.autosaveUrl) { return; }
  var status = document.getElementById("autosave-status");
  var dirty = false;
  var saving = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (!dirty || saving) { return; }
    saving = true;
    dirty = false;
    var data = new FormData(form);
    data.delete("action");
    fetch(form.dataset.autosaveUrl, {
      method: "POST", body: data, credentials: "same-origin", redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrf_token") || "" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") === -1) {
        throw new Error(String(response.status));
      }
      return response.json();
    }).then(function () {
      say((form.dataset.savedText || "Draft saved.") + " " + new Date().toLocaleTimeString());
    }).catch(function () {
      dirty = true;
      say(form.dataset.failedText || "Not saved automatically: please press Save.");
    }).then(function () { saving = false; });
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
      reason.hidden = !outside && !(text && text.value);
    });
  }

  form.addEventListener("change", function () { dirty = true; updateReasons(); save(); });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.value === "submit") {
      if (form.dataset.submitting) { event.preventDefault(); return; }
      form.dataset.submitting = "1";
    }
  });
  window.setInterval(save, 30000);
  updateReasons();
})();
