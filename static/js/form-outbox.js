// Forms that must reach the care team on a poor connection (asking to be seen, answering a
// message, logging a symptom) go through the phone's one outbox (offline-store.js: encrypted,
// kept only until the server has them, wiped at sign-out).
//
// A form opts in with `data-outbox="<scope>"` and `data-outbox-url` (its JSON endpoint, which
// is `idempotent` on the server); `data-outbox-with` adds fields that are not in the form (the
// thread a message is for). What is kept travels with two keys from app/idempotency.py: a fresh
// Idempotency-Key per entry (a retry is answered from the first send) and the form's own
// one-time token (the same form tapped twice, or posted by the page after all, finds what the
// first made). Entries are keyed by that token, so tapping Send again replaces the entry
// waiting on the phone rather than adding a second.
//
// With no connection the form is hidden and the page's own box says plainly that the team does
// not have it yet and whom to call meanwhile (templates/partials/outbox_waiting.html); it is sent
// when the connection comes back. When the server refuses it (a 4xx), the entry leaves the phone
// and the form is posted as the page would post it, so the server shows why, with what was typed.
//
// The HNA's answers (hna.js) travel the same way, with what its pages need: one entry per
// question (`step`), a page kept for offline use that has no CSRF token of its own (`tokenUrl`),
// and the words for what happened shown from its page's own box (`showState`).
import * as outbox from './offline-store.js'
import { csrfToken, postJSON } from './csrf.js'

// Idempotency keys the server accepts: 8 to 100 of these (app/idempotency.py KEY_PATTERN; ':' is
// the server's own).
export const KEY_PATTERN = /^[A-Za-z0-9_.-]{8,100}$/

export function newKey () {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')
}

// A form's fields (FormData entries) as the JSON endpoints read them (app/forms.py
// formdata_from_json): each name with its text, a list for a name given more than once
// (checkboxes). The CSRF token goes in a header, never in what is kept on the phone.
export function fieldsOf (pairs) {
  const data = {}
  for (const [name, value] of pairs) {
    if (name === 'csrf_token' || typeof value !== 'string') continue
    if (Object.hasOwn(data, name)) data[name] = [].concat(data[name], value)
    else data[name] = value
  }
  return data
}

// The form's one-time token (idempotency.new_form_token) names the entry: one entry per form.
export function formTokenOf (data) {
  const token = typeof data.token === 'string' ? data.token : data.form_token
  return typeof token === 'string' && token ? token : null
}

// `step` names the entry where the form has no one-time token (an HNA question: a newer answer to
// the same question replaces the one waiting).
export function entryFor ({ scope, owner, apiUrl, url, extra, data, step }, now = Date.now(), makeKey = newKey) {
  return {
    id: makeKey(), // the Idempotency-Key
    scope,
    owner,
    step: step || formTokenOf(data) || makeKey(),
    url,
    apiUrl,
    extra: extra || {},
    data,
    savedAt: now
  }
}

// What to do after the server answered an entry:
// 'sent': it has it (or had it already); forget it and go where the answer says.
// 'refused': it will never take it as it is; forget it and post the form so the person reads why.
// 'signed_out': keep it; it can be sent once the person signs in again.
// 'later': keep it and send it again later (no connection, the server busy or failing).
export function outcomeOf (status, body = {}) {
  if (status === 200 || status === 201) return 'sent'
  if (status === 401 || (status === 400 && body.error === 'session_expired')) return 'signed_out'
  if (status === 409 && body.error === 'busy') return 'later'
  if (status === 429) return 'later'
  if (status >= 400 && status < 500) return 'refused'
  return 'later'
}

// A 409 `busy` (app/idempotency.py: another save of the same record was still being written)
// is waited for as long as the server asks and sent again, this many times; still busy, the entry
// stays on the phone for later.
export const BUSY_RETRIES = 3
const LONGEST_WAIT_SECONDS = 10

function secondsToWait (headers, body) {
  const asked = parseInt(headers.get('Retry-After'), 10) || parseInt(body.retry_after, 10) || 1
  return Math.min(Math.max(asked, 1), LONGEST_WAIT_SECONDS)
}

function pause (seconds) {
  return new Promise(resolve => setTimeout(resolve, seconds * 1000))
}

// A token fetched from a page's `tokenUrl`, used from then on in place of the page's own.
let renewedToken = null

// The page's own CSRF token (csrf.js). A page kept for offline use has none, and one opened
// before the person signed in again holds a stale one: then, where the page names a `tokenUrl`,
// a fresh one is asked for. null: the person is signed out.
async function tokenFor (tokenUrl, renew) {
  const own = renewedToken || csrfToken()
  if (!tokenUrl || (own && !renew)) return own
  const response = await fetch(tokenUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  if (response.status === 401) return null
  if (!response.ok) throw new Error(`token: ${response.status}`) // kept for later
  renewedToken = (await response.json()).csrf_token
  return renewedToken
}

async function post (entry, apiUrl, token) {
  const { status, data, headers } = await postJSON(apiUrl, { ...entry.data, ...(entry.extra || {}) },
    { token, headers: { 'Idempotency-Key': entry.id } })
  return { outcome: outcomeOf(status, data), status, body: data, wait: secondsToWait(headers, data) }
}

const SIGNED_OUT = { outcome: 'signed_out', status: 401, body: {} }

// Send one entry; its outcome says what to do with it (outcomeOf). `pauseFor` is for tests.
export async function sendEntry (entry, apiUrl = entry.apiUrl, { tokenUrl } = {}, pauseFor = pause) {
  try {
    let token = await tokenFor(tokenUrl, false)
    if (token === null) return SIGNED_OUT
    let sent = await post(entry, apiUrl, token)
    if (tokenUrl && sent.status === 400 && sent.body.error === 'session_expired') {
      // The token was stale (the person signed in again since the page was made): once more.
      token = await tokenFor(tokenUrl, true)
      if (token === null) return SIGNED_OUT
      sent = await post(entry, apiUrl, token)
    }
    for (let tries = 0; tries < BUSY_RETRIES && sent.status === 409 && sent.body.error === 'busy'; tries++) {
      await pauseFor(sent.wait)
      sent = await post(entry, apiUrl, token)
    }
    return { outcome: sent.outcome, status: sent.status, body: sent.body }
  } catch (e) {
    return { outcome: 'later', status: 0, body: {} } // the connection went: it stays on the phone
  }
}

// Put what was kept back in the form and post it as the page would (the server then answers
// with its own page: the errors shown with what was typed, or where the form went).
export function fillAndPost (form, data) {
  for (const input of form.querySelectorAll('input, textarea, select')) {
    if (input.name === 'csrf_token' || !(input.name in data)) continue
    const kept = [].concat(data[input.name])
    if (input.type === 'radio' || input.type === 'checkbox') input.checked = kept.includes(input.value)
    else input.value = kept[0]
  }
  form.hidden = false
  form.submit()
}

// ---------------------------------------------------------------- forms on a page

// Which kept entries this form sends: its own scope and page, and only the signed-in person's.
export function isFor (entry, { scope, owner, url, apiUrl }) {
  return entry.scope === scope && entry.owner === owner && entry.url === url && entry.apiUrl === apiUrl
}

// Kept for someone other than the person signed in now: never theirs to send or to see.
export function isSomeoneElses (entry, { scope, owner }) {
  return entry.scope === scope && entry.owner !== owner
}

function placeOf (form) {
  return { scope: form.dataset.outbox, owner: form.dataset.outboxOwner || '', url: window.location.pathname, apiUrl: form.dataset.outboxUrl }
}

async function waitingOn (form) {
  const place = placeOf(form)
  const entries = await outbox.all()
  for (const entry of entries.filter(e => isSomeoneElses(e, place))) await outbox.remove(entry.id)
  return entries.filter(e => isFor(e, place))
}

// The page's box holds the words for each state (templates/partials/outbox_waiting.html,
// templates/hna/_sync_status.html); only the one for `which` is shown. Returns it, if any.
export function showState (box, which) {
  if (!box) return null
  let shown = null
  for (const state of box.querySelectorAll('[data-outbox-state]')) {
    state.hidden = state.dataset.outboxState !== which
    if (!state.hidden) shown = state
  }
  box.hidden = false
  return shown
}

function show (form, which) {
  const shown = showState(document.querySelector(`[data-outbox-status="${form.dataset.outbox}"]`), which)
  if (!shown) return
  form.hidden = true
  const heading = shown.querySelector('[tabindex="-1"]')
  if (heading) heading.focus()
}

// Send what waits for this form, oldest first; the page follows the first answer that moves it on.
async function sendWaiting (form) {
  if (!navigator.onLine) return
  for (const entry of await waitingOn(form)) {
    const sent = await sendEntry(entry)
    if (sent.outcome === 'sent') {
      await outbox.remove(entry.id)
      window.location.assign(sent.body.next_url || window.location.pathname)
      return
    }
    if (sent.outcome === 'refused') {
      await outbox.remove(entry.id)
      fillAndPost(form, entry.data)
      return
    }
    if (sent.outcome === 'signed_out') {
      show(form, 'signed-out')
      return
    }
    show(form, 'waiting')
    return
  }
}

function enhance (form) {
  let busy = false
  form.addEventListener('submit', async event => {
    event.preventDefault()
    if (busy) return // a double tap: the first is on its way
    busy = true
    const entry = entryFor({
      ...placeOf(form),
      extra: JSON.parse(form.dataset.outboxWith || '{}'),
      data: fieldsOf(new FormData(form).entries())
    })
    try {
      await outbox.put(entry)
    } catch (e) {
      form.submit() // nothing can be kept here (private browsing): post it as the page would
      return
    }
    if (!navigator.onLine) {
      show(form, 'waiting')
      return
    }
    await sendWaiting(form)
  })
}

// ---------------------------------------------------------------- from any page

// A request or an answer kept on the phone is sent from whichever page of the person's is open
// when the connection is back, not only from its own form's page: nobody has to go back to it.
const SENT_FROM_ANY_PAGE = {
  reentry: 'request to be seen',
  messages: 'message to your team'
}

function notice (root, kind, text, link) {
  const main = root.querySelector('main')
  if (!main) return
  const id = `outbox-notice-${main.querySelectorAll('[data-outbox-notice]').length + 1}`
  const banner = root.createElement('div')
  banner.className = 'nhsuk-notification-banner' + (kind === 'sent' ? ' nhsuk-notification-banner--success' : '')
  banner.setAttribute('role', kind === 'sent' ? 'alert' : 'region')
  banner.setAttribute('aria-labelledby', id)
  banner.dataset.outboxNotice = kind
  const header = root.createElement('div')
  header.className = 'nhsuk-notification-banner__header'
  const title = root.createElement('h2')
  title.className = 'nhsuk-notification-banner__title'
  title.id = id
  title.textContent = kind === 'sent' ? 'Success' : 'Important'
  header.append(title)
  const content = root.createElement('div')
  content.className = 'nhsuk-notification-banner__content'
  const heading = root.createElement('p')
  heading.className = 'nhsuk-notification-banner__heading'
  heading.append(text + ' ')
  const anchor = root.createElement('a')
  anchor.className = 'nhsuk-notification-banner__link'
  anchor.href = link.href
  anchor.textContent = link.text
  heading.append(anchor)
  content.append(heading)
  banner.append(header, content)
  main.prepend(banner)
}

export function isSentFromAnyPage (entry, owner, here) {
  return Object.hasOwn(SENT_FROM_ANY_PAGE, entry.scope) && !!owner && entry.owner === owner &&
    entry.url !== here && typeof entry.apiUrl === 'string'
}

async function sendFromAnyPage (root) {
  const owner = root.body.dataset.outboxOwner
  if (!owner || !navigator.onLine || !outbox.isAvailable()) return
  const entries = (await outbox.all()).filter(e => isSentFromAnyPage(e, owner, window.location.pathname))
  for (const entry of entries) {
    const what = SENT_FROM_ANY_PAGE[entry.scope]
    const sent = await sendEntry(entry)
    if (sent.outcome === 'sent') {
      await outbox.remove(entry.id)
      notice(root, 'sent', `Your ${what}, saved on this phone, has now been sent.`,
        { href: sent.body.next_url || entry.url, text: 'See what you sent' })
    } else if (sent.outcome === 'refused') {
      // Kept: its own page posts it, so the person reads why with what they typed.
      notice(root, 'refused', `Your ${what}, saved on this phone, has not been sent.`,
        { href: entry.url, text: 'Check it and send it again' })
    } else {
      return // no connection, signed out or busy: it stays, and is tried again later
    }
  }
}

export async function initFormOutbox (root) {
  if (root.body && root.body.dataset.outboxOwner) {
    sendFromAnyPage(root).catch(() => {})
    window.addEventListener('online', () => sendFromAnyPage(root).catch(() => {}))
  }
  const forms = root.querySelectorAll('form[data-outbox][data-outbox-url][data-outbox-owner]')
  if (!forms.length || !outbox.isAvailable()) return
  for (const form of forms) {
    enhance(form)
    window.addEventListener('online', () => sendWaiting(form).catch(() => {}))
    try {
      // Kept on an earlier visit: sent now, or shown as still waiting.
      if ((await waitingOn(form)).length) {
        if (navigator.onLine) await sendWaiting(form)
        else show(form, 'waiting')
      }
    } catch (e) {
      // The outbox is an enhancement: the form still posts as a page would.
    }
  }
}
