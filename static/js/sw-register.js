// The service worker lives at the site root so that its scope is the whole app.
import { wipe } from './offline-store.js'
// Push: sign-out also drops this phone's push subscription (push.js).
import { forgetPushSubscription } from './push.js'

export function registerServiceWorker (scope = document) {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.register('/service-worker.js', { scope: '/' })
    .then(registration => offerUpdate(registration, scope))
    .catch(() => {
      // Offline support is an enhancement; the site works without it.
    })
}

// ---- Update flow (assets) ----
// A new version of the service worker installs and waits: taking over by itself could break a
// half-finished form (its page's scripts and the new version's caches no longer match). The
// page says a new version is ready (templates/partials/update_notice.html); only the person's
// click tells the waiting worker to take over (SKIP_WAITING), and this page reloads once it has.
// Other open tabs are not reloaded: their notice stays until their person refreshes.
function offerUpdate (registration, scope) {
  const notice = scope.querySelector('[data-update-notice-banner]')
  if (!notice) return
  // No controller means a first install, not an update: there is nothing to refresh.
  const show = () => { if (navigator.serviceWorker.controller) notice.hidden = false }
  const showWhenInstalled = worker => worker.addEventListener('statechange', () => {
    if (worker.state === 'installed') show()
  })
  if (registration.waiting) show()
  // The check a navigation starts may already be installing before this script ran.
  if (registration.installing) showWhenInstalled(registration.installing)
  registration.addEventListener('updatefound', () => {
    if (registration.installing) showWhenInstalled(registration.installing)
  })
  notice.querySelector('[data-update-refresh]').addEventListener('click', () => {
    const waiting = registration.waiting
    if (!waiting) {
      // Another tab let it take over already.
      window.location.reload()
      return
    }
    navigator.serviceWorker.addEventListener('controllerchange', () => window.location.reload(), { once: true })
    waiting.postMessage({ type: 'SKIP_WAITING' })
  })
}
// ---- end of update flow ----

// Signing out (here or everywhere) forgets what this device kept: answers waiting to be sent
// (offline-store.js) and the service worker's copies. Signing out must never wait on this
// for long, so the form goes ahead after a second whatever happens.
export function forgetDeviceDataOnSignOut (scope) {
  scope.querySelectorAll('form[data-sign-out]').forEach(form => {
    form.addEventListener('submit', event => {
      if (form.dataset.forgotten) return
      event.preventDefault()
      form.dataset.forgotten = '1'
      const worker = 'serviceWorker' in navigator ? navigator.serviceWorker.controller : null
      if (worker) worker.postMessage({ type: 'sign-out' })
      const carryOn = () => form.submit()
      // Push: the form names this phone's subscription for the server to remove, and the browser drops it.
      const forgetPush = forgetPushSubscription(form).catch(() => {})
      Promise.race([Promise.all([wipe(), forgetPush]), new Promise(resolve => setTimeout(resolve, 1000))]).then(carryOn, carryOn)
    })
  })
}
