// The service worker lives at the site root so that its scope is the whole app.
import { wipe } from './offline-store.js'

export function registerServiceWorker () {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.register('/service-worker.js', { scope: '/' }).catch(() => {
    // Offline support is an enhancement; the site works without it.
  })
}

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
      Promise.race([wipe(), new Promise(resolve => setTimeout(resolve, 1000))]).then(carryOn, carryOn)
    })
  })
}
