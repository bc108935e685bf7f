// Web Push on this phone: the notification settings page's "Turn on notifications" button, and
// forgetting this phone's subscription at sign-out (sw-register.js). No side effects on import.
//
// Permission is asked only after the person taps the button, never when a page loads (iOS
// allows nothing else, and a prompt out of the blue is unfair).
import { csrfToken, postJSON } from './csrf.js'

const UNSUPPORTED = 'This browser cannot get notifications. On an iPhone or iPad, add this app to your Home Screen first, then open it from there.'
const BLOCKED = 'Notifications are blocked for this app. To turn them on, allow notifications for this site in your browser or phone settings, then select the button again.'
const NOT_ALLOWED = 'Notifications were not turned on. Select the button again and choose Allow.'
const FAILED = 'Notifications could not be turned on. Check your connection and try again.'

function supported () {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
}

// The server's VAPID public key (URL-safe base64) as the bytes PushManager.subscribe wants.
export function keyBytes (base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - base64url.length % 4) % 4)
  return Uint8Array.from(atob(base64), c => c.charCodeAt(0))
}

async function registration () {
  // app.js registers the service worker on every page; wait for it, but not for ever.
  const timeout = new Promise(resolve => setTimeout(() => resolve(null), 10000))
  return Promise.race([navigator.serviceWorker.ready, timeout])
}

async function currentSubscription () {
  if (!supported()) return null
  const reg = await navigator.serviceWorker.getRegistration('/')
  return reg ? reg.pushManager.getSubscription() : null
}

export function initPushSettings (scope) {
  const box = scope.querySelector('[data-module="push-subscription"]')
  if (!box) return
  const turnOn = box.querySelector('[data-push-turn-on]')
  const turnOff = box.querySelector('[data-push-turn-off]')
  const error = box.querySelector('[data-push-error]')
  const show = (on) => {
    box.querySelector('[data-push-status-on]').hidden = !on
    box.querySelector('[data-push-status-off]').hidden = on
    turnOn.hidden = on
    turnOff.hidden = !on
  }
  const problem = (text) => {
    box.querySelector('[data-push-error-text]').textContent = text
    error.hidden = false
    error.focus()
  }
  if (!supported()) {
    turnOn.hidden = true
    box.querySelector('[data-push-status-off]').textContent = UNSUPPORTED
    return
  }
  currentSubscription().then(sub => show(Boolean(sub)), () => show(false))

  turnOn.addEventListener('click', async () => {
    error.hidden = true
    turnOn.disabled = true
    try {
      const permission = await Notification.requestPermission()
      if (permission !== 'granted') return problem(permission === 'denied' ? BLOCKED : NOT_ALLOWED)
      const reg = await registration()
      if (!reg) return problem(FAILED)
      const sub = await reg.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.applicationServerKey)
      })
      const answer = await postJSON(box.dataset.subscribeUrl, sub.toJSON())
      if (!answer.ok) {
        await sub.unsubscribe().catch(() => {})
        return problem((answer.data && answer.data.detail) || FAILED)
      }
      window.location.assign(box.dataset.settingsUrl)
    } catch (e) {
      problem(FAILED)
    } finally {
      turnOn.disabled = false
    }
  })

  turnOff.addEventListener('click', async () => {
    error.hidden = true
    try {
      const sub = await currentSubscription()
      if (sub) {
        const endpoint = sub.endpoint
        await sub.unsubscribe()
        await postJSON(box.dataset.unsubscribeUrl, { endpoint })
      }
      window.location.assign(box.dataset.settingsUrl)
    } catch (e) {
      problem(FAILED)
    }
  })
}

// Sign-out: this phone stops getting the person's notifications. The form tells the server which
// subscription to remove (push_endpoint) and the browser drops it, so the next person to sign
// in on this phone gets none of them. (The server does the same, app/auth/routes.py sign_out.)
export async function forgetPushSubscription (form) {
  // An idle timeout is not the person signing out: their reminders keep coming to this phone.
  if (form.querySelector('input[name="reason"][value="idle"]')) return
  const sub = await currentSubscription()
  if (!sub) return
  let field = form.querySelector('input[name="push_endpoint"]')
  if (!field) {
    field = document.createElement('input')
    field.type = 'hidden'
    field.name = 'push_endpoint'
    form.appendChild(field)
  }
  field.value = sub.endpoint
  await sub.unsubscribe()
}

// Every signed-in page, a patient's or staff's, once per sign-in (the CSRF token is new at each sign-in):
// a phone still subscribed for someone else (say after their idle timeout) is unsubscribed, so
// the person now signed in never gets another's notifications. The server removes it too.
export async function checkThisPhone (body) {
  const url = body.dataset.pushCheckUrl
  if (!url || !supported()) return
  const marker = csrfToken()
  if (sessionStorage.getItem('push-checked') === marker) return
  const sub = await currentSubscription()
  if (sub) {
    const answer = await postJSON(url, { endpoint: sub.endpoint })
    if (!answer.ok) return
    if (!answer.data.theirs) await sub.unsubscribe()
  }
  sessionStorage.setItem('push-checked', marker)
}
