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

  var changed = false;
  var saving = false;
  function edited() {
    changed = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 600);
  }
  form.addEventListener("input", edited);
  form.addEventListener("submit", function () { saving = true; });
  window.addEventListener("beforeunload", function (event) {
    if (changed && !saving) { event.preventDefault(); event.returnValue = ""; }
  });

  // The JSON boxes as highlighted editors with line numbers and bracket matching (CodeMirror, served
  // from the npm package). The textareas stay in the form and are kept up to date for posting.
  if (!window.CodeMirror) { return; }
  function formatted(editor) {
    try {
      var text = JSON.stringify(JSON.parse(editor.getValue()), null, 2) + "\n";
      if (text !== editor.getValue()) { editor.setValue(text); editor.save(); }
    } catch (error) {
      // not valid JSON yet: leave it as typed; the page says what is wrong when it is previewed
    }
  }

  var editors = ["schema", "ui-schema"].map(function (id) {
    var textarea = document.getElementById(id);
    var label = document.querySelector('label[for="' + id + '"]');
    var editor = window.CodeMirror.fromTextArea(textarea, {
      mode: { name: "javascript", json: true },
      lineNumbers: true,
      matchBrackets: true,
      autoCloseBrackets: true,
      indentUnit: 2,
      tabSize: 2,
      viewportMargin: Infinity,
      lineWrapping: true,
      screenReaderLabel: label ? label.textContent : id
    });
    formatted(editor); // stored forms may be on one line: start formatted, without counting as a change
    editor.on("change", function () { editor.save(); edited(); });
    if (label) { label.addEventListener("click", function () { editor.focus(); }); }
    return editor;
  });
  var format = document.getElementById("format-json");
  format.hidden = false;
  format.addEventListener("click", function () { editors.forEach(formatted); });
}());
