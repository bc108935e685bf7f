// The service worker lives at the site root so that its scope is the whole app.
import { forgetThisPhonesPerson } from './sign-out.js'

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

// Signing out (here or everywhere) forgets what this device kept (sign-out.js). Signing out must
// never wait on this for long, so the form goes ahead after a second whatever happens.
// The idle timer's sign-out (data-sign-out="idle") forgets nothing: the person's contacts, plan
// and 24-hour line stay readable offline until they sign out or the next person's page is seen
// here (SECURITY.md), as when a session simply runs out while the phone sleeps.
export function forgetDeviceDataOnSignOut (scope) {
  scope.querySelectorAll('form[data-sign-out]').forEach(form => {
    form.addEventListener('submit', event => {
      if (form.dataset.forgotten || form.dataset.signOut === 'idle') return
      event.preventDefault()
      form.dataset.forgotten = '1'
      const carryOn = () => form.submit()
      Promise.race([forgetThisPhonesPerson(form), new Promise(resolve => setTimeout(resolve, 1000))]).then(carryOn, carryOn)
    })
  })
}
