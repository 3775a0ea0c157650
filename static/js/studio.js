// The post studio's live preview. The composer form carries data-studio-preview="<endpoint>";
// as the learner types, the form is POSTed there (same origin, CSRF token included in the form
// data) and the server answers with the preview and checks as an HTML fragment, rendered and
// escaped by Django, which replaces #studio-preview. Without JavaScript the "Check draft"
// button does the same with a full page. No inline script: the CSP allows files from 'self'.
(function () {
  "use strict";

  var DELAY_MS = 300;

  function attach(form) {
    var url = form.getAttribute("data-studio-preview");
    var target = document.getElementById("studio-preview");
    var status = document.getElementById("studio-status");
    if (!url || !target) { return; }

    var timer = null;
    var latest = 0;

    function announce() {
      // One short sentence for screen readers (count and checks), not the whole preview.
      var result = target.querySelector("[data-summary]");
      if (status && result) { status.textContent = result.getAttribute("data-summary"); }
    }

    function refresh() {
      var request = ++latest;
      target.setAttribute("aria-busy", "true");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
        body: new FormData(form),
      })
        .then(function (response) {
          // A redirect means the session ended (the sign-in page): never paste that in.
          if (!response.ok || response.redirected) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          if (request !== latest) { return; }  // an older answer arriving late
          target.innerHTML = html;  // rendered and escaped by the server's templates
          target.removeAttribute("aria-busy");
          announce();
        })
        .catch(function () {
          if (request !== latest) { return; }
          target.removeAttribute("aria-busy");
          if (status) {
            status.textContent = "The live preview is unavailable; use Check draft.";
          }
        });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    form.setAttribute("data-studio-live", "true");
  }

  document.querySelectorAll("form[data-studio-preview]").forEach(attach);
})();
