// Draws the monitoring diagrams with the bpmn-js navigated viewer (loaded before this file as the
// global BpmnJS). Each .sfo-diagram holds the URL of its BPMN and, as JSON, what to mark on it:
//   a case: {completed, active, errors, path: [[source, target]], overlays: [{element, name, assignee, due, overdue}]}
//   the dashboard: {heatmap: {element id: open tasks}}
// Every page shows the same information as text, so nothing depends on this file.
// Stages are collapsed sub-processes: their tasks are drawn on their own planes (drill down with the
// arrow on the stage). What happens inside a stage is also shown on the stage itself, on the top plane.
(function () {
  'use strict'

  function text (tag, className, content) {
    var node = document.createElement(tag)
    if (className) node.className = className
    node.textContent = content
    return node
  }

  function formatDate (iso) {
    if (!iso) return 'no deadline'
    var parts = iso.split('-')
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]))
    return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
  }

  function has (registry, id) {
    return Boolean(registry.get(id))
  }

  // The element itself when it is drawn on the plane shown first, otherwise the collapsed sub-process
  // (stage) on that plane that holds it.
  function onTopPlane (canvas, registry, element) {
    var top = canvas.getRootElement()
    var current = element
    while (current && canvas.findRoot(current) !== top) {
      var plane = canvas.findRoot(current)
      current = plane && plane.businessObject ? registry.get(plane.businessObject.id) : null
    }
    return current
  }

  function markCase (viewer, data) {
    var canvas = viewer.get('canvas')
    var registry = viewer.get('elementRegistry')
    var overlays = viewer.get('overlays')
    ;(data.completed || []).forEach(function (id) { if (has(registry, id)) canvas.addMarker(id, 'sfo-completed') })
    ;(data.active || []).forEach(function (id) { if (has(registry, id)) canvas.addMarker(id, 'sfo-active') })
    ;(data.errors || []).forEach(function (id) {
      var element = registry.get(id)
      if (!element) return
      canvas.addMarker(id, 'sfo-error')
      var stage = onTopPlane(canvas, registry, element)
      if (stage && stage !== element) canvas.addMarker(stage.id, 'sfo-error')
    })
    var taken = {}
    ;(data.path || []).forEach(function (pair) { taken[pair[0] + '>' + pair[1]] = true })
    registry.filter(function (element) { return element.type === 'bpmn:SequenceFlow' }).forEach(function (flow) {
      if (flow.source && flow.target && taken[flow.source.id + '>' + flow.target.id]) canvas.addMarker(flow.id, 'sfo-path')
    })
    var shownOnStage = {}
    ;(data.overlays || []).forEach(function (task) {
      var element = registry.get(task.element)
      if (!element) return
      overlays.add(task.element, 'sfo-task', { position: { bottom: -4, left: 0 }, html: taskBox(task) })
      var stage = onTopPlane(canvas, registry, element)
      if (stage && stage !== element && !shownOnStage[stage.id]) {
        shownOnStage[stage.id] = true
        // below the stage's drill-down button, which must stay clickable
        overlays.add(stage.id, 'sfo-task', { position: { top: stage.height + 14, left: 0 }, html: taskBox(task) })
      }
    })
  }

  function taskBox (task) {
    var box = document.createElement('div')
    box.className = 'sfo-overlay' + (task.overdue ? ' sfo-overlay--overdue' : '')
    box.appendChild(text('span', 'sfo-overlay__who', task.assignee))
    box.appendChild(text('span', 'sfo-overlay__due', (task.overdue ? 'Overdue: ' : 'Due ') + formatDate(task.due)))
    return box
  }

  // Open tasks per element, marked in a neutral colour, and red where some are overdue; a stage on the
  // top plane shows the sum of the tasks inside it.
  function sumByShownElement (canvas, registry, counts) {
    var sums = {}
    Object.keys(counts || {}).forEach(function (id) {
      var element = registry.get(id)
      if (!element || !counts[id]) return
      sums[id] = (sums[id] || 0) + counts[id]
      var stage = onTopPlane(canvas, registry, element)
      if (stage && stage !== element) sums[stage.id] = (sums[stage.id] || 0) + counts[id]
    })
    return sums
  }

  function markHeatmap (viewer, heatmap, overdue) {
    var canvas = viewer.get('canvas')
    var registry = viewer.get('elementRegistry')
    var open = sumByShownElement(canvas, registry, heatmap)
    var late = sumByShownElement(canvas, registry, overdue)
    Object.keys(open).forEach(function (id) {
      canvas.addMarker(id, late[id] ? 'sfo-overdue' : 'sfo-waiting')
      var label = text('span', 'sfo-count' + (late[id] ? ' sfo-count--overdue' : ''), String(open[id]))
      if (late[id]) label.appendChild(text('span', 'sfo-count__late', ' (' + late[id] + ' overdue)'))
      viewer.get('overlays').add(id, 'sfo-count', { position: { top: -14, right: 12 }, html: label })
    })
  }

  // Fit the whole diagram in the box (as large as it fits, never above full size).
  function fitAll (viewer) {
    var canvas = viewer.get('canvas')
    canvas.zoom('fit-viewport', 'auto')
    if (canvas.viewbox().scale > 1) canvas.zoom(1, 'auto')
  }

  // The SFO diagram is far wider than the page: show its full height from the start (the viewer pans
  // and zooms with the mouse), or centre it on the case's first failing or active element.
  function fitHeight (viewer) {
    var canvas = viewer.get('canvas')
    var box = canvas.viewbox()
    var level = Math.min(1, box.outer.height / (box.inner.height + 40))
    canvas.viewbox({ x: box.inner.x - 20, y: box.inner.y - 20, width: box.outer.width / level, height: box.outer.height / level })
  }

  function focus (viewer, ids) {
    var canvas = viewer.get('canvas')
    var registry = viewer.get('elementRegistry')
    var element = ids.map(function (id) { return registry.get(id) }).filter(Boolean)
      .map(function (found) { return onTopPlane(canvas, registry, found) }).filter(Boolean)[0]
    if (!element) {
      fitHeight(viewer)
      return
    }
    var outer = canvas.viewbox().outer
    var width = outer.width / 0.9
    var height = outer.height / 0.9
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2, y: element.y + element.height / 2 - height / 2, width: width, height: height
    })
  }

  function draw (container) {
    var source = container.querySelector('.sfo-diagram-data')
    var data = source ? JSON.parse(source.textContent) : {}
    var fallback = container.querySelector('.sfo-diagram__fallback')
    var canvasNode = document.createElement('div')
    canvasNode.className = 'sfo-diagram__canvas'
    container.appendChild(canvasNode)
    var viewer = new window.BpmnJS({ container: canvasNode })
    return fetch(container.getAttribute('data-diagram-url'), { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('The diagram could not be loaded (' + response.status + ').')
        return response.text()
      })
      .then(function (xml) { return viewer.importXML(xml) })
      .then(function () {
        if (fallback) fallback.remove()
        if (data.heatmap) {
          markHeatmap(viewer, data.heatmap, data.overdue)
          fitAll(viewer)
        } else {
          markCase(viewer, data)
          focus(viewer, (data.errors || []).concat(data.active || []))
        }
        container.setAttribute('data-ready', 'true')
      })
      .catch(function (error) {
        if (fallback) fallback.textContent = error.message + ' The lists on this page have the same information.'
        container.setAttribute('data-ready', 'error')
      })
  }

  if (!window.BpmnJS) return
  Array.prototype.forEach.call(document.querySelectorAll('.sfo-diagram[data-diagram-url]'), draw)
})()
