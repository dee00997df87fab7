// Forms that start long work (check and dry run, deploy): once submitted, the button is disabled and
// says what is happening, so the work cannot be asked for twice. The service also runs a repeated
// request only once, so the page works the same without this file.
for (const form of document.querySelectorAll('form[data-module="sfo-submit-once"]')) {
  form.addEventListener('submit', (event) => {
    if (form.dataset.submitted) {
      event.preventDefault()
      return
    }
    form.dataset.submitted = 'true'
    const button = form.querySelector('button[type="submit"]')
    if (!button) return
    window.setTimeout(() => { // after the browser has read the button into the request
      button.disabled = true
      button.setAttribute('aria-disabled', 'true')
      button.textContent = button.dataset.busyText || 'Starting…'
    }, 0)
  })
}
