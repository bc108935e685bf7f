/* Manage your cancer care: service worker (shared base for offline features).
 *
 * - Static assets (design system, our CSS and JS) are cached so pages open fast on poor signal.
 * - Pages are always fetched from the network: they may hold health data and are sent with
 *   Cache-Control: no-store. When the network is down, a plain offline page is shown instead.
 * - HNA question pages also have an "offline copy" with no answers or names in it
 *   (`?shell=1`). The page asks us to keep those copies, so that the person can keep
 *   answering without signal; their answers wait, encrypted, in IndexedDB (static/js/hna.js).
 * - The offline page fills in the person's own 24-hour line from this phone (static/js/urgent-line.js).
 * - Offline record (issue 11): a page we cannot fetch is answered with the offline page, which
 *   shows the copy of that page kept on this phone for the signed-in person when there is one
 *   (their contacts, care plan, treatment summary: encrypted in IndexedDB, static/js/offline-record.js),
 *   and lists what can be read offline. The copies are never kept here, in the caches: the caches
 *   hold nothing personal. Signing out also drops every page copy here (only static assets stay).
 *
 * ---- Assets, install and activate (assets) ----
 * ASSETS_VERSION and PRECACHE_ASSETS are written in above this file by the server
 * (app/assets.py, service_worker_script) from the asset build (scripts/build_assets.py): every
 * static file under its content-hashed name, except manifest screenshots. Nothing here is kept
 * by hand: a changed asset changes the version, so the browser sees a new service worker, whose
 * caches carry the new version's name, and the old ones are deleted when it activates.
 */
/* global ASSETS_VERSION, PRECACHE_ASSETS */
const STATIC_CACHE = `mycc-static-${ASSETS_VERSION}`
// The kept HNA pages link this version's hashed assets: kept again under a new version.
const HNA_CACHE = `mycc-hna-${ASSETS_VERSION}`
// Every cache this version uses; any other `mycc-` cache is an old version's, deleted on
// activate. A section adding a cache adds its name here.
const CURRENT_CACHES = [STATIC_CACHE, HNA_CACHE]
const HNA_PAGES = /^\/hna\/questions\/[a-z_:-]+$/
const OFFLINE_URL = '/offline'
const PRECACHE = [OFFLINE_URL, ...PRECACHE_ASSETS]

// A new version installs and waits: it takes over only when the person chooses to refresh
// (the page posts SKIP_WAITING, static/js/sw-register.js), never in the middle of a form.
self.addEventListener('install', event => {
  event.waitUntil(caches.open(STATIC_CACHE).then(cache => cache.addAll(PRECACHE)))
})

self.addEventListener('message', event => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting()
})

self.addEventListener('activate', event => {
  event.waitUntil(
    caches.keys()
      .then(keys => Promise.all(keys.filter(k => k.startsWith('mycc-') && !CURRENT_CACHES.includes(k)).map(k => caches.delete(k))))
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
    // A hashed name never changes content: the kept copy is always right. Anything not kept
    // (an unhashed name, a screenshot) comes from the network and is not kept.
    event.respondWith(
      caches.open(STATIC_CACHE).then(async cache => (await cache.match(request)) || fetch(request))
    )
    return
  }
  // ---- end of assets section ----

  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(async () => {
        if (HNA_PAGES.test(url.pathname)) {
          const copy = await (await caches.open(HNA_CACHE)).match(url.pathname)
          if (copy) return copy
        }
        const cache = await caches.open(STATIC_CACHE)
        return (await cache.match(OFFLINE_URL)) || Response.error()
      })
    )
  }
})

// Copies are fetched once per questionnaire version and journey, not on every page view:
// people on poor signal should not pay for them again and again.
let copying = Promise.resolve()

async function keepOfflineCopies (urls, signature) {
  const marker = '/__hna-offline-copies'
  let cache = await caches.open(HNA_CACHE)
  const kept = await cache.match(marker)
  if (!kept || (await kept.text()) !== signature) {
    await caches.delete(HNA_CACHE)
    cache = await caches.open(HNA_CACHE)
    await cache.put(marker, new Response(signature))
  }
  for (const path of urls) {
    if (!HNA_PAGES.test(path) || await cache.match(path)) continue
    try {
      const response = await fetch(path + '?shell=1', { credentials: 'same-origin', redirect: 'error' })
      if (response.ok) await cache.put(path, response)
    } catch (e) {
      // Signal dropped part way: the pages already kept still work.
    }
  }
}

self.addEventListener('message', event => {
  if (event.data && event.data.type === 'cache-hna-pages' && Array.isArray(event.data.urls)) {
    // One copying run at a time: every page view asks, and runs must not undo each other.
    copying = copying.then(() => keepOfflineCopies(event.data.urls, String(event.data.signature || ''))).catch(() => {})
    event.waitUntil(copying)
  }
  // Sent on sign-out (static/js/sign-out.js): forget every page copy this device kept, then say
  // so on the port given, so that signing out waits for it rather than a guess.
  if (event.data && event.data.type === 'sign-out') {
    // The static cache holds nothing personal and keeps the offline page working.
    const forgotten = caches.keys()
      .then(keys => Promise.all(keys.filter(k => k !== STATIC_CACHE).map(k => caches.delete(k))))
      .catch(() => {})
      .then(() => { if (event.ports[0]) event.ports[0].postMessage('forgotten') })
    event.waitUntil(forgotten)
  }
})

// ---- Push (app/push/): begin --------------------------------------------------------------
// A push carries only a neutral title and body, the kind and its topic (app/push/kinds.py):
// lock screens are not private (HAZ-021). The notification's tag is the topic, so a newer one of
// the same kind replaces an older one. A tap opens the page for the kind from this table, never
// an address from the payload; the table is app/push/kinds.py's open_url_for
// (tests/push/test_service_worker_push.py runs this section in Node and compares them).
const PUSH_OPEN_URLS = {
  hna: '/hna',
  test_due: '/my-care/follow-up',
  test_overdue: '/my-care/follow-up',
  gp_review: '/my-care',
  care_plan: '/my-care/plan',
  team_reply: '/my-care/messages',
  reentry_status: '/my-care'
}
const PUSH_FALLBACK_URL = '/my-care'
const PUSH_FALLBACK_TITLE = 'Your care team'
const PUSH_FALLBACK_BODY = 'You have something new to see in the app'

function pushOpenUrl (kind) {
  return Object.prototype.hasOwnProperty.call(PUSH_OPEN_URLS, kind) ? PUSH_OPEN_URLS[kind] : PUSH_FALLBACK_URL
}

// What to show for a push payload: only short plain text from it, and the page from the table.
function pushNotificationFrom (payload) {
  const data = payload && typeof payload === 'object' ? payload : {}
  const text = (value, fallback, longest) =>
    typeof value === 'string' && value.trim() ? value.trim().slice(0, longest) : fallback
  const topic = typeof data.topic === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(data.topic) ? data.topic : 'mycc'
  return {
    title: text(data.title, PUSH_FALLBACK_TITLE, 60),
    options: {
      body: text(data.body, PUSH_FALLBACK_BODY, 200),
      tag: topic,
      renotify: true,
      data: { url: pushOpenUrl(data.kind) }
    }
  }
}

self.addEventListener('push', event => {
  let payload = {}
  try {
    payload = event.data ? event.data.json() : {}
  } catch (e) {
    payload = {} // not JSON: still show the neutral words, never nothing (userVisibleOnly)
  }
  const { title, options } = pushNotificationFrom(payload)
  event.waitUntil(self.registration.showNotification(title, options))
})

self.addEventListener('notificationclick', event => {
  event.notification.close()
  // The page was chosen from the table when the notification was shown (pushNotificationFrom).
  const kept = new URL((event.notification.data && event.notification.data.url) || PUSH_FALLBACK_URL, self.location.origin)
  const url = kept.origin === self.location.origin ? kept.href : new URL(PUSH_FALLBACK_URL, self.location.origin).href
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async windows => {
    // A tab of the app already open is reused; signed out, it shows the sign-in page first.
    for (const client of windows) {
      if (new URL(client.url).origin !== self.location.origin) continue
      try {
        const moved = await client.navigate(url)
        return (moved || client).focus()
      } catch (e) {
        // A tab this worker does not control cannot be navigated: open a new one below.
      }
    }
    return self.clients.openWindow(url)
  }))
})
// ---- Push (app/push/): end ----------------------------------------------------------------
