// Start GOV.UK Frontend and MOJ Frontend components. Pages work without this file.
import { initAll as initGovUk } from '/vendor/govuk-frontend.min.js'
import { initAll as initMoj } from '/vendor/moj-frontend.min.js'

initGovUk()
initMoj()
