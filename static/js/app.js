// Progressive enhancement for every page. Pages work without it.
import { initAll } from '../nhsuk/nhsuk-frontend.min.js'
import { initPrintButtons } from './print.js'
import { checkThisPhone, initPushSettings } from './push.js'
import { initSessionTimeout } from './session-timeout.js'
import { forgetDeviceDataOnSignOut, registerServiceWorker } from './sw-register.js'
import { initUrgentLine } from './urgent-line.js'
// Forms kept on the phone with no connection (asking to be seen, answering a message).
import { initFormOutbox } from './form-outbox.js'
import { initOfflineRecord } from './offline-record.js'

// The page's "JavaScript is here" classes are set before it is drawn: static/js/frontend-supported.js.
initAll()
// Only the few pages with a passkey ceremony load its script (page weight, bench/page_weight.py).
if (document.querySelector('[data-module="passkey-ceremony"]')) {
  // A tap that comes before that script (an old phone on poor signal) is kept, and the ceremony
  // starts when the script is here, rather than the tap doing nothing.
  const keepAnEarlyTap = event => {
    const root = event.target.closest('[data-passkey-start]')?.closest('[data-module="passkey-ceremony"]')
    if (root) root.dataset.tappedEarly = 'true'
  }
  document.addEventListener('click', keepAnEarlyTap)
  import('./passkeys.js').then(passkeys => {
    document.removeEventListener('click', keepAnEarlyTap)
    passkeys.initPasskeyCeremonies(document)
  })
}
initPrintButtons(document)
initSessionTimeout(document.body)
registerServiceWorker()
forgetDeviceDataOnSignOut(document)
initUrgentLine(document)
initFormOutbox(document)
initPushSettings(document)
// The person's contacts, plan and summary kept for reading offline; whose the phone's store is.
initOfflineRecord(document)
checkThisPhone(document.body).catch(() => {})
