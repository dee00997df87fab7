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

  // The field list: each change is written into the JSON Schema as it is typed (the same rules as the
  // server's, which still checks everything when the list is posted), and the preview follows.
  var schemaEditor = null;
  var schemaBox = document.getElementById("schema");
  var fieldList = document.getElementById("field-list");

  function optionsOf(text) {
    var options = [];
    var lines = text.replace(/\r\n/g, "\n").split("\n");
    for (var i = 0; i < lines.length; i++) {
      if (!lines[i].trim()) { continue; }
      var at = lines[i].indexOf("|");
      var value = (at < 0 ? lines[i] : lines[i].slice(0, at)).trim();
      var label = at < 0 ? "" : lines[i].slice(at + 1).trim();
      if (!value || options.some(function (o) { return o.value === value; })) { return null; }
      options.push({ value: value, title: label || value });
    }
    return options.length ? options : null;
  }

  function writeOptions(holder, options, enumOnly) {
    if (enumOnly && options.every(function (o) { return o.title === o.value; })) {
      holder["enum"] = options.map(function (o) { return o.value; });
      return;
    }
    var before = {};
    (Array.isArray(holder.oneOf) ? holder.oneOf : []).forEach(function (o) {
      if (o && typeof o.const === "string") { before[o.const] = o; }
    });
    delete holder["enum"];
    holder.oneOf = options.map(function (o) {
      return Object.assign({}, before[o.value] || {}, { "const": o.value, title: o.title });
    });
  }

  function part(row, name) { return row.querySelector('[data-field-part="' + name + '"]'); }

  function applyRow(row) {
    var schema;
    try { schema = JSON.parse(schemaEditor ? schemaEditor.getValue() : schemaBox.value); } catch (error) { return; }
    if (!schema || typeof schema !== "object" || !schema.properties || typeof schema.properties !== "object") { return; }
    var name = row.getAttribute("data-field-name");
    var field = Object.prototype.hasOwnProperty.call(schema.properties, name) ? schema.properties[name] : null;
    if (!field || typeof field !== "object") { return; }
    var title = part(row, "title").value.split(/\s+/).join(" ").trim();
    if (title) { field.title = title; }
    var hint = part(row, "hint").value.trim();
    if (hint) { field.description = hint; } else { delete field.description; }
    var required = (Array.isArray(schema.required) ? schema.required : []).filter(function (r) { return r !== name; });
    if (part(row, "required").checked) { required.push(name); }
    if (required.length) { schema.required = required; } else { delete schema.required; }
    var optionsBox = part(row, "options");
    var options = optionsBox ? optionsOf(optionsBox.value) : null;
    if (options) {
      var onItems = row.getAttribute("data-on-items") === "true" && field.items && typeof field.items === "object";
      writeOptions(onItems ? field.items : field, options, row.getAttribute("data-enum-only") === "true");
    }
    var text = JSON.stringify(schema, null, 2) + "\n";
    if (schemaEditor) {
      schemaEditor.setValue(text); // its change handler saves it to the textarea and refreshes the preview
    } else {
      schemaBox.value = text;
      edited();
    }
  }

  if (fieldList && schemaBox) {
    fieldList.addEventListener("input", function (event) {
      var row = event.target.closest ? event.target.closest(".sfo-field-row") : null;
      if (row) { applyRow(row); }
    });
    fieldList.addEventListener("submit", function () {
      // post the JSON as it is now (typed in the editor, or changed by the list)
      fieldList.querySelector("[data-field-list-schema]").value = schemaBox.value;
      var ui = document.getElementById("ui-schema");
      if (ui) { fieldList.querySelector("[data-field-list-ui-schema]").value = ui.value; }
      saving = true;
    });
  }

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
  schemaEditor = editors[0];
  var format = document.getElementById("format-json");
  format.hidden = false;
  format.addEventListener("click", function () { editors.forEach(formatted); });
}());
