// Progressive enhancement for every page. Pages work without it.
import { initAll } from '../nhsuk/nhsuk-frontend.min.js'
import { initPasskeyCeremonies } from './passkeys.js'
import { initPrintButtons } from './print.js'
import { initSessionTimeout } from './session-timeout.js'
import { forgetDeviceDataOnSignOut, registerServiceWorker } from './sw-register.js'
import { initUrgentLine } from './urgent-line.js'

document.documentElement.classList.remove('no-js')
// A page that answers a form post (a mistake to fix, or someone else's change) becomes an
// ordinary page in the history: going back to it later loads the form again instead of the
// browser asking to "Confirm Form Resubmission" (and perhaps sending it twice). Successful
// posts never need this: they redirect (303) to a page loaded with GET.
if (document.documentElement.hasAttribute('data-answers-post')) {
  window.history.replaceState(window.history.state, '', window.location.href)
}
document.body.classList.add('js-enabled')
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('nhsuk-frontend-supported')
}
initAll()
initPasskeyCeremonies(document)
initPrintButtons(document)
initSessionTimeout(document.body)
registerServiceWorker()
forgetDeviceDataOnSignOut(document)
initUrgentLine(document)
