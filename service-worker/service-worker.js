/* Manage your cancer care: service worker (shared base for offline features).
 *
 * - Static assets (design system, our CSS and JS) are cached so pages open fast on poor signal.
 * - Pages are always fetched from the network: they may hold health data and are sent with
 *   Cache-Control: no-store. When the network is down, a plain offline page is shown instead.
 * Bump CACHE_VERSION whenever the list of assets changes.
 */
const CACHE_VERSION = 'v1'
const STATIC_CACHE = `mycc-static-${CACHE_VERSION}`
const OFFLINE_URL = '/offline'

const PRECACHE = [
  OFFLINE_URL,
  '/static/nhsuk/nhsuk-frontend.min.css',
  '/static/nhsuk/nhsuk-frontend.min.js',
  '/static/css/app.css',
  '/static/js/app.js',
  '/static/js/csrf.js',
  '/static/js/passkeys.js',
  '/static/js/session-timeout.js',
  '/static/js/sw-register.js',
  '/static/nhsuk/assets/images/favicon.svg'
]

self.addEventListener('install', event => {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(cache => cache.addAll(PRECACHE)).then(() => self.skipWaiting())
  )
})

self.addEventListener('activate', event => {
  event.waitUntil(
    caches.keys()
      .then(keys => Promise.all(keys.filter(k => k.startsWith('mycc-') && k !== STATIC_CACHE).map(k => caches.delete(k))))
      .then(() => self.clients.claim())
  )
})

function isStaticAsset (url) {
  return url.origin === self.location.origin && url.pathname.startsWith('/static/')
}

self.addEventListener('fetch', event => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return

  if (isStaticAsset(url)) {
    // Stale-while-revalidate: fast from cache, refreshed in the background.
    event.respondWith(
      caches.open(STATIC_CACHE).then(async cache => {
        const cached = await cache.match(request)
        const network = fetch(request).then(response => {
          if (response.ok) cache.put(request, response.clone())
          return response
        }).catch(() => cached)
        return cached || network
      })
    )
    return
  }

  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(async () => {
        const cache = await caches.open(STATIC_CACHE)
        return (await cache.match(OFFLINE_URL)) || Response.error()
      })
    )
  }
})

self.addEventListener('message', event => {
  // Sent on sign-out: forget everything this device kept.
  if (event.data && event.data.type === 'sign-out') {
    event.waitUntil(caches.keys().then(keys => Promise.all(keys.map(k => caches.delete(k)))))
  }
})
