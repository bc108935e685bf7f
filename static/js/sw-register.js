// The service worker lives at the site root so that its scope is the whole app.
export function registerServiceWorker () {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.register('/service-worker.js', { scope: '/' }).catch(() => {
    // Offline support is an enhancement; the site works without it.
  })
}
