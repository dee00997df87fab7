// Keep typed work on a task form: save it as a draft every minute while it has unsaved changes, and
// ask before leaving the page with changes not yet saved. The form works without this file.
const AUTOSAVE_EVERY_MS = 60 * 1000

for (const form of document.querySelectorAll('form[data-module="sfo-keep-work"]')) {
  const status = document.getElementById('draft-status')
  let changed = false
  let leaving = false

  const markChanged = () => { changed = true }
  form.addEventListener('input', markChanged)
  form.addEventListener('change', markChanged)
  form.addEventListener('submit', () => { leaving = true })

  window.addEventListener('beforeunload', (event) => {
    if (changed && !leaving) {
      event.preventDefault()
      event.returnValue = ''
    }
  })

  const save = async () => {
    if (!changed || leaving) return
    changed = false
    const body = new FormData(form)
    body.delete('form_action')
    try {
      const response = await fetch(form.dataset.autosaveUrl, { method: 'POST', body, credentials: 'same-origin' })
      const answer = await response.json()
      if (!answer.saved) changed = true
      if (status) status.textContent = answer.message
    } catch {
      changed = true
      if (status) status.textContent = 'Your draft could not be saved automatically. Save it with the Save draft button.'
    }
  }
  window.setInterval(save, Number(form.dataset.autosaveEvery || AUTOSAVE_EVERY_MS))
}
