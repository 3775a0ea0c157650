// Live Markdown preview beside a textarea marked with data-markdown-preview="<endpoint>".
// The endpoint (staff only) returns the same sanitised HTML that saving would store, so the
// preview can be inserted as-is. No inline script: the CSP allows only files from 'self'.
(function () {
  "use strict";

  var DELAY_MS = 400;

  function csrfToken(textarea) {
    var form = textarea.form;
    var field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function attach(textarea) {
    var url = textarea.getAttribute("data-markdown-preview");
    var wrapper = document.createElement("div");
    wrapper.className = "markdown-editor";
    textarea.parentNode.insertBefore(wrapper, textarea);
    wrapper.appendChild(textarea);

    var pane = document.createElement("div");
    pane.className = "markdown-preview";
    var label = document.createElement("p");
    label.className = "markdown-preview__label";
    label.textContent = "Preview";
    var output = document.createElement("div");
    output.className = "markdown-preview__body";
    output.setAttribute("aria-live", "polite");
    output.setAttribute("aria-label", "Preview of " + (textarea.name || "the text"));
    pane.appendChild(label);
    pane.appendChild(output);
    wrapper.appendChild(pane);

    var timer = null;
    var latest = 0;

    function refresh() {
      var request = ++latest;
      var body = new URLSearchParams();
      body.append("text", textarea.value);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": csrfToken(textarea),
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: body.toString(),
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (request !== latest) { return; }  // an older answer arriving late
          if (data.html !== undefined) {
            output.innerHTML = data.html;  // sanitised on the server (courses.markdown)
          } else {
            output.textContent = data.error || "Preview unavailable.";
          }
        })
        .catch(function () {
          if (request === latest) { output.textContent = "Preview unavailable."; }
        });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    });
    refresh();
  }

  function init() {
    document.querySelectorAll("textarea[data-markdown-preview]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
