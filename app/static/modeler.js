// The diagram editor (bpmn-js modeler + a small properties panel) and the compare view (viewer + markers).
// Without JavaScript the pages fall back to the BPMN XML in a textarea and a table of changes.
(function () {
  "use strict";

  var SPIFF = "spiffworkflow";
  // The SpiffWorkflow extension elements this service reads, described for bpmn-js's moddle.
  var spiffDescriptor = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: SPIFF,
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [{ name: "name", type: "String", isAttr: true }, { name: "value", type: "String", isAttr: true }] },
      { name: "MessageVariable", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
      { name: "MessagePayload", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
      { name: "CalledDecisionId", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
      { name: "PreScript", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
      { name: "PostScript", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
      { name: "InstructionsForEndUser", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] }
    ],
    enumerations: []
  };

  function byId(id) { return document.getElementById(id); }

  // --- reading and writing what the panel shows ------------------------------------------------

  function documentation(bo) {
    return (bo.documentation && bo.documentation[0] && bo.documentation[0].text) || "";
  }

  function propertiesElement(bo) {
    var ext = bo.extensionElements;
    var values = (ext && ext.values) || [];
    for (var i = 0; i < values.length; i++) {
      if (values[i].$type === SPIFF + ":Properties") { return values[i]; }
    }
    return null;
  }

  function property(bo, name) {
    var props = propertiesElement(bo);
    var list = (props && props.properties) || [];
    for (var i = 0; i < list.length; i++) { if (list[i].name === name) { return list[i].value || ""; } }
    return "";
  }

  function setProperty(modeler, element, name, value) {
    var moddle = modeler.get("moddle");
    var modeling = modeler.get("modeling");
    var bo = element.businessObject;
    var ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
    var props = propertiesElement(bo);
    if (!props) {
      props = moddle.create(SPIFF + ":Properties", { properties: [] });
      props.$parent = ext;
      ext.get("values").push(props);
    }
    var list = props.get("properties");
    var existing = list.filter(function (p) { return p.name === name; })[0];
    if (!value) {
      if (existing) { list.splice(list.indexOf(existing), 1); }
    } else if (existing) {
      existing.value = value;
    } else {
      var prop = moddle.create(SPIFF + ":Property", { name: name, value: value });
      prop.$parent = props;
      list.push(prop);
    }
    modeling.updateProperties(element, { extensionElements: ext });
  }

  function eventDefinition(bo, type) {
    return (bo.eventDefinitions || []).filter(function (d) { return d.$type === type; })[0] || null;
  }

  function timerExpression(bo) {
    var timer = eventDefinition(bo, "bpmn:TimerEventDefinition");
    if (!timer) { return null; }
    var expr = timer.timeDate || timer.timeDuration || timer.timeCycle;
    return { timer: timer, body: (expr && expr.body) || "" };
  }

  function messageOf(bo) {
    var def = eventDefinition(bo, "bpmn:MessageEventDefinition");
    if (def) { return def; }
    return bo.$type === "bpmn:ReceiveTask" || bo.$type === "bpmn:SendTask" ? bo : null;
  }

  // --- the panel --------------------------------------------------------------------------------

  function show(group, visible) {
    document.querySelectorAll('#properties-fields [data-for="' + group + '"]').forEach(function (el) {
      el.hidden = !visible;
    });
  }

  function fill(element) {
    var bo = element.businessObject;
    var type = bo.$type.replace("bpmn:", "");
    byId("properties-empty").hidden = true;
    byId("properties-fields").hidden = false;
    byId("prop-type").textContent = type + " " + bo.id;
    byId("prop-name").value = bo.name || "";
    byId("prop-documentation").value = documentation(bo);
    var hasForm = type === "UserTask" || type === "StartEvent" || type === "ManualTask";
    show("form", hasForm || type === "IntermediateCatchEvent" || type === "ReceiveTask" || type === "EventBasedGateway");
    byId("prop-form").value = property(bo, "formJsonSchemaFilename");
    byId("prop-ui-form").value = property(bo, "formUiSchemaFilename");
    byId("prop-stage").value = property(bo, "stage");
    byId("prop-due").value = property(bo, "dueDate");
    show("documentation", type !== "SequenceFlow" && type !== "Lane");
    show("script", type === "ScriptTask");
    byId("prop-script").value = bo.script || "";
    show("condition", type === "SequenceFlow");
    byId("prop-condition").value = (bo.conditionExpression && bo.conditionExpression.body) || "";
    var timer = timerExpression(bo);
    show("timer", !!timer);
    byId("prop-timer").value = timer ? timer.body : "";
    var message = messageOf(bo);
    show("message", !!message);
    byId("prop-message").value = (message && message.messageRef && message.messageRef.name) || "";
  }

  function bindPanel(modeler) {
    var selected = null;
    var modeling = modeler.get("modeling");
    var moddle = modeler.get("moddle");

    modeler.on("selection.changed", function (event) {
      selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
      if (selected && selected.type !== "label") { fill(selected); } else {
        byId("properties-fields").hidden = true;
        byId("properties-empty").hidden = false;
      }
    });

    function on(id, apply) {
      byId(id).addEventListener("change", function () { if (selected) { apply(selected, byId(id).value); } });
    }

    on("prop-name", function (el, value) { modeling.updateProperties(el, { name: value }); });
    on("prop-documentation", function (el, value) {
      var docs = value ? [moddle.create("bpmn:Documentation", { text: value })] : [];
      modeling.updateProperties(el, { documentation: docs });
    });
    on("prop-form", function (el, value) { setProperty(modeler, el, "formJsonSchemaFilename", value); });
    on("prop-ui-form", function (el, value) { setProperty(modeler, el, "formUiSchemaFilename", value); });
    on("prop-stage", function (el, value) { setProperty(modeler, el, "stage", value); });
    on("prop-due", function (el, value) { setProperty(modeler, el, "dueDate", value); });
    on("prop-script", function (el, value) { modeling.updateProperties(el, { script: value }); });
    on("prop-condition", function (el, value) {
      var expr = value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
      modeling.updateProperties(el, { conditionExpression: expr });
    });
    on("prop-timer", function (el, value) {
      var timer = timerExpression(el.businessObject);
      if (!timer) { return; }
      var kind = timer.timer.timeDuration ? "timeDuration" : timer.timer.timeCycle ? "timeCycle" : "timeDate";
      var expr = moddle.create("bpmn:FormalExpression", { body: value });
      modeler.get("modeling").updateModdleProperties(el, timer.timer, (function () { var o = {}; o[kind] = expr; return o; })());
    });
    on("prop-message", function (el, value) {
      var target = messageOf(el.businessObject);
      if (!target) { return; }
      var definitions = modeler.getDefinitions();
      var message = definitions.rootElements.filter(function (r) { return r.$type === "bpmn:Message" && r.name === value; })[0];
      if (!message) {
        message = moddle.create("bpmn:Message", { id: "message_" + value.replace(/[^A-Za-z0-9_]/g, "_"), name: value });
        message.$parent = definitions;
        definitions.rootElements.push(message);
      }
      modeling.updateModdleProperties(el, target, { messageRef: message });
    });
  }

  // SpiffWorkflow names a multi-instance task's collection by variable (loopDataInputRef holds
  // "other_reviews"); moddle expects the id of an element there and drops what it cannot resolve.
  // Read those names from the XML and put them back as placeholders that export as the same text.
  var LOOP_REFS = ["loopDataInputRef", "loopDataOutputRef"];

  function loopReferences(xml) {
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    var found = [];
    var loops = doc.getElementsByTagNameNS("http://www.omg.org/spec/BPMN/20100524/MODEL", "multiInstanceLoopCharacteristics");
    for (var i = 0; i < loops.length; i++) {
      var owner = loops[i].parentNode.getAttribute("id");
      LOOP_REFS.forEach(function (name) {
        var ref = loops[i].getElementsByTagNameNS("http://www.omg.org/spec/BPMN/20100524/MODEL", name)[0];
        if (ref && ref.textContent.trim()) { found.push({ owner: owner, name: name, value: ref.textContent.trim() }); }
      });
    }
    return found;
  }

  function restoreLoopReferences(modeler, refs) {
    var registry = modeler.get("elementRegistry");
    var moddle = modeler.get("moddle");
    refs.forEach(function (ref) {
      var element = registry.get(ref.owner);
      var loop = element && element.businessObject.loopCharacteristics;
      if (loop && !loop[ref.name]) { loop[ref.name] = moddle.create("bpmn:DataInput", { id: ref.value }); }
    });
  }

  // --- pages ------------------------------------------------------------------------------------

  function startEditor() {
    var form = byId("diagram-form");
    if (!form || !window.BpmnJS) { return; }
    var textarea = byId("xml");
    var modeler = new window.BpmnJS({ container: "#canvas", moddleExtensions: { spiffworkflow: spiffDescriptor } });
    var refs = loopReferences(textarea.value);
    var viewKey = "sfo-view:" + form.getAttribute("action");
    var changed = false;
    var saving = false;
    modeler.importXML(textarea.value).then(function () {
      restoreLoopReferences(modeler, refs);
      byId("modeler-area").hidden = false;
      byId("xml-group").hidden = true;
      var canvas = modeler.get("canvas");
      canvas.resized();
      var kept = window.sessionStorage.getItem(viewKey);
      window.sessionStorage.removeItem(viewKey);
      if (kept) { canvas.viewbox(JSON.parse(kept)); } else { fitBesidePalette(canvas); }
      bindPanel(modeler);
      bindViewButtons(modeler);
      modeler.on("commandStack.changed", function () { changed = true; });
      document.body.setAttribute("data-modeler-ready", "true");
    }).catch(function (error) {
      // Keep the XML editor: the diagram cannot be drawn, but it can still be fixed by hand.
      var note = document.createElement("p");
      note.className = "govuk-error-message";
      note.textContent = "The diagram cannot be shown: " + error.message;
      textarea.parentNode.insertBefore(note, textarea);
    });
    form.addEventListener("submit", function (event) {
      saving = true;
      if (byId("modeler-area").hidden) { return; }
      event.preventDefault();
      document.activeElement && document.activeElement.blur && document.activeElement.blur();
      var box = modeler.get("canvas").viewbox();
      window.sessionStorage.setItem(viewKey, JSON.stringify({ x: box.x, y: box.y, width: box.width, height: box.height }));
      modeler.saveXML({ format: true }).then(function (result) {
        textarea.value = result.xml;
        HTMLFormElement.prototype.submit.call(form);
      });
    });
    textarea.addEventListener("input", function () { changed = true; });
    window.addEventListener("beforeunload", function (event) {
      if (changed && !saving) { event.preventDefault(); event.returnValue = ""; }
    });
    window.sfoModeler = modeler;
  }

  // The palette sits over the left of the canvas: fit the diagram in the space beside it.
  function fitBesidePalette(canvas) {
    var container = canvas.getContainer();
    var palette = container.querySelector(".djs-palette");
    var covered = palette ? palette.getBoundingClientRect().right - container.getBoundingClientRect().left + 10 : 0;
    var size = canvas.getSize();
    var inner = canvas.viewbox().inner;
    var scale = Math.min((size.width - covered - 20) / inner.width, (size.height - 40) / inner.height, 1);
    canvas.viewbox({
      x: inner.x - (covered + 10) / scale,
      y: inner.y - 20 / scale,
      width: size.width / scale,
      height: size.height / scale
    });
  }

  function bindViewButtons(modeler) {
    var canvas = modeler.get("canvas");
    var area = byId("modeler-area");
    var full = area.querySelector('[data-zoom="full"]');
    area.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "in" || how === "out") {
          modeler.get("zoomScroll").stepZoom(how === "in" ? 1 : -1);
        } else if (how === "fit") {
          fitBesidePalette(canvas);
        } else if (document.fullscreenElement) {
          document.exitFullscreen();
        } else if (area.requestFullscreen) {
          area.requestFullscreen();
        }
      });
    });
    document.addEventListener("fullscreenchange", function () {
      full.setAttribute("aria-pressed", document.fullscreenElement ? "true" : "false");
      full.textContent = document.fullscreenElement ? "Leave full screen" : "Full screen";
      canvas.resized();
      fitBesidePalette(canvas);
    });
  }

  // Zoom to the changed elements of the plane shown (with a margin), or fit the diagram if none.
  function zoomToChanges(canvas, registry, ids) {
    var root = canvas.getRootElement();
    var shown = ids.map(function (id) { return registry.get(id); })
      .filter(function (e) { return e && !e.waypoints && canvas.findRoot(e) === root; });
    if (!shown.length) { canvas.zoom("fit-viewport", "auto"); return; }
    var left = Math.min.apply(null, shown.map(function (e) { return e.x; }));
    var top = Math.min.apply(null, shown.map(function (e) { return e.y; }));
    var right = Math.max.apply(null, shown.map(function (e) { return e.x + e.width; }));
    var bottom = Math.max.apply(null, shown.map(function (e) { return e.y + e.height; }));
    var margin = 150;
    canvas.viewbox({ x: left - margin, y: top - margin, width: right - left + 2 * margin, height: bottom - top + 2 * margin });
  }

  function stageOnTopPlane(canvas, registry, element) {
    var top = canvas.getRootElement();
    var current = element;
    while (current && canvas.findRoot(current) !== top) {
      var plane = canvas.findRoot(current);
      current = plane && plane.businessObject ? registry.get(plane.businessObject.id) : null;
    }
    return current;
  }

  function startCompare() {
    var container = byId("diagram");
    if (!container || !window.BpmnJS) { return; }
    var viewer = new window.BpmnJS({ container: container, moddleExtensions: { spiffworkflow: spiffDescriptor } });
    var markers = JSON.parse(container.getAttribute("data-markers") || "{}");
    viewer.importXML(container.getAttribute("data-xml")).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var marked = [];
      Object.keys(markers).forEach(function (id) {
        var element = registry.get(id);
        if (!element) { return; }
        var marker = "sfo-" + (markers[id] === "removed" ? "changed" : markers[id]);
        canvas.addMarker(id, marker);
        // An element inside a stage is drawn on the stage's own plane: mark the stage too, so the change
        // shows on the plane a person sees first.
        var stage = stageOnTopPlane(canvas, registry, element);
        if (stage && stage !== element) { canvas.addMarker(stage.id, "sfo-changed"); marked.push(stage.id); }
        marked.push(id);
      });
      zoomToChanges(canvas, registry, marked);
      document.body.setAttribute("data-viewer-ready", "true");
    });
  }

  startEditor();
  startCompare();
}());
