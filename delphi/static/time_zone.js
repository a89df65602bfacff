// The browser's time zone, for the registration and profile forms (CSP-clean:
// no inline script). A hidden field marked data-browser-time-zone="fill" is
// filled when empty; a select marked "suggest" is set to the browser's zone
// when the user has not chosen one yet (data-chosen absent) and the list has it.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) { return; }
  document.querySelectorAll("[data-browser-time-zone]").forEach(function (field) {
    var mode = field.getAttribute("data-browser-time-zone");
    if (mode === "fill" && !field.value) {
      field.value = zone;
    } else if (mode === "suggest" && !field.hasAttribute("data-chosen")) {
      for (var i = 0; i < field.options.length; i += 1) {
        if (field.options[i].value === zone) { field.value = zone; break; }
      }
    }
  });
}());
