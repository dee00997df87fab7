// The form editor's live preview: after a pause in typing, ask the server for the preview (the same
// GOV.UK renderer the inbox uses) and show it. Without JavaScript the "Preview" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("form-editor");
  var preview = document.getElementById("form-preview");
  if (!form || !preview || !window.fetch || !window.DOMParser) { return; }
  var timer = null;
  var latest = 0;

  function refresh() {
    var body = new FormData(form);
    body.set("action", "preview");
    var request = ++latest;
    fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (request !== latest) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("form-preview");
        var problems = page.querySelectorAll("#form-editor .govuk-error-message");
        if (fresh) { preview.innerHTML = fresh.innerHTML; }
        preview.setAttribute("data-problems", String(problems.length));
        preview.setAttribute("data-updated", String(request));
      });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 600);
  });
}());
