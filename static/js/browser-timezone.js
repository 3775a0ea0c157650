// Sign-up: send the browser's time zone with the form, so that digests and reminders arrive at
// local hours from the first week. Without JavaScript the account starts on UTC and the
// profile page changes it.
(function () {
  "use strict";
  var field = document.querySelector("input[data-browser-timezone]");
  if (!field || !window.Intl || !Intl.DateTimeFormat) {
    return;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) {
    field.value = zone;
  }
})();
