// A dry-run job's page while the job runs: reads its progress every two seconds and shows it, then
// reloads the page for the result. Without this file the page offers a link to refresh it.
(function () {
  'use strict'

  var panel = document.querySelector('[data-module="sfo-dry-run-progress"]')
  if (!panel || !window.fetch) return
  var status = panel.querySelector('#dry-run-status')
  var refresh = document.querySelector('.sfo-refresh')
  if (refresh) refresh.hidden = true

  function poll () {
    fetch(panel.getAttribute('data-progress-url'), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('progress ' + response.status)
        return response.json()
      })
      .then(function (progress) {
        if (progress.finished) {
          window.location.reload()
          return
        }
        if (status.textContent !== progress.text) status.textContent = progress.text
        window.setTimeout(poll, 2000)
      })
      .catch(function () {
        if (refresh) refresh.hidden = false // the link still works
      })
  }

  window.setTimeout(poll, 1000)
})()
