// Everything signing out forgets on this phone, in one place (issue 11: never show one person's
// things to the next person on a shared phone). The server's Clear-Site-Data header does the same
// where browsers honour it; this is what makes sure of it everywhere else. Each step is tried
// whatever the others do.
import { wipe } from './offline-store.js'
import { forgetPushSubscription } from './push.js'

// `form` is the sign-out form being sent: a step may add to it what the server needs to know.
export async function forgetThisPhonesPerson (form) {
  await Promise.allSettled([
    // IndexedDB: answers waiting, the kept records, the 24-hour line and symptom rules, the key.
    wipe(),
    // The service worker's copies of pages (only static assets stay).
    forgetPageCopies(),
    // Push: the form names this phone's subscription for the server to remove, and the
    // browser drops it (push.js).
    forgetPushSubscription(form)
  ])
}

// Asks the service worker to drop its page copies and waits for it to say it has.
async function forgetPageCopies () {
  if (!('serviceWorker' in navigator)) return
  const registration = await navigator.serviceWorker.getRegistration()
  const worker = registration && (registration.active || registration.waiting || registration.installing)
  if (!worker) return
  await new Promise(resolve => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => resolve()
    worker.postMessage({ type: 'sign-out' }, [channel.port2])
  })
}
