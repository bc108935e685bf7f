// HNA pages, enhanced: answers are saved as the person goes, kept (encrypted) on the phone
// when there is no signal, and sent when the connection returns. Each saved page carries an
// idempotency key, so a retry or a double tap never saves twice.
import * as outbox from './offline-store.js'
import { csrfToken as pageCsrfToken } from './csrf.js'

const SCOPE = 'hna'
const MEMO = 'hna-memo'

class SignedOut extends Error {}

function statusBox () {
  return document.querySelector('[data-sync-status]')
}

// The API's URLs come from the page (templates/hna/_sync_status.html), never from here.
function urls () {
  const box = statusBox()
  return box ? box.dataset : {}
}

function showStatus (html, kind) {
  const box = statusBox()
  if (!box) return
  box.className = 'app-sync-status app-sync-status--' + kind
  box.innerHTML = html
}

function newKey () {
  if (crypto.randomUUID) return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')
}

// The same shape the server builds from a plain form post.
export function serialise (form) {
  const step = form.dataset.step
  const data = new FormData(form)
  if (step.startsWith('domain:')) {
    const scores = {}
    for (const [name, value] of data.entries()) {
      if (name.startsWith('score-')) scores[name.slice(6)] = value
    }
    return { concerns: data.getAll('concerns'), scores }
  }
  if (step === 'top') return { top_concerns: data.getAll('top_concerns') }
  const result = {}
  for (const [name, value] of data.entries()) {
    if (name !== 'csrf_token') result[name] = value
  }
  return result
}

function fill (form, data) {
  for (const input of form.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    const name = input.name
    let wanted
    if (name === 'concerns') wanted = (data.concerns || []).includes(input.value)
    else if (name === 'top_concerns') wanted = (data.top_concerns || []).includes(input.value)
    else if (name.startsWith('score-')) wanted = String((data.scores || {})[name.slice(6)]) === input.value
    else wanted = String(data[name]) === input.value
    input.checked = wanted
    const controls = input.getAttribute('aria-controls') || input.dataset.ariaControls
    if (controls && document.getElementById(controls)) {
      document.getElementById(controls).classList.toggle('nhsuk-checkboxes__conditional--hidden', !wanted)
      input.setAttribute('aria-expanded', String(wanted))
    }
  }
  for (const input of form.querySelectorAll('input[name^="score-"]')) {
    const score = (data.scores || {})[input.name.slice(6)]
    if (score !== undefined) input.value = score
  }
  const text = form.querySelector('textarea[name=text]')
  if (text && typeof data.text === 'string') text.value = data.text
}

let token = null

// The page's own token (csrf.js). Offline copies have none, and a page opened before signing in
// again holds a stale one: then a fresh token is asked for.
async function csrfToken (fresh = false) {
  if (token && !fresh) return token
  const fromPage = fresh ? '' : pageCsrfToken()
  if (fromPage) {
    token = fromPage
    return token
  }
  const response = await fetch(urls().tokenUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  if (response.status === 401) throw new SignedOut()
  token = (await response.json()).csrf_token
  return token
}

async function post (entry, csrf) {
  return fetch(urls().saveUrl, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-CSRFToken': csrf,
      'Idempotency-Key': entry.id
    },
    body: JSON.stringify({ step: entry.step, data: entry.data, hna_id: entry.hnaId })
  })
}

async function send (entry) {
  let response = await post(entry, await csrfToken())
  if (response.status === 400 && response.headers.get('Content-Type')?.includes('json')) {
    // A stale token (the session was renewed since the page loaded): once more with a fresh one.
    const body = await response.clone().json().catch(() => ({}))
    if (body.error === 'session_expired') response = await post(entry, await csrfToken(true))
  }
  if (response.status === 401 || (response.status === 400 && !response.headers.get('Content-Type')?.includes('json'))) {
    throw new SignedOut()
  }
  let body = {}
  try { body = await response.json() } catch (e) { body = {} }
  if (response.status === 400 && body.error === 'session_expired') throw new SignedOut()
  return { status: response.status, body, retryAfter: parseInt(response.headers.get('Retry-After'), 10) || 1 }
}

const BUSY_RETRIES = 3

function isBusy (result) {
  return result.status === 409 && result.body.error === 'busy'
}

// The server was still writing another save of the same draft (another tab, or this answer
// sent twice): wait as long as it asks, then send again. Still busy after that, the answer
// stays in the outbox and is sent with the others later.
async function sendWhenFree (entry) {
  let result = await send(entry)
  for (let tries = 0; isBusy(result) && tries < BUSY_RETRIES; tries++) {
    await new Promise(resolve => setTimeout(resolve, result.retryAfter * 1000))
    result = await send(entry)
  }
  return result
}

function signedOutMessage () {
  const link = document.createElement('a')
  link.href = urls().signInUrl
  link.textContent = 'Sign in again'
  showStatus('<p>You have been signed out. Your answers are saved on this phone. ' + link.outerHTML + ' to send them.</p>', 'warning')
}

function pendingMessage (count) {
  const answers = count === 1 ? '1 answer is' : count + ' answers are'
  showStatus(`<p><strong>Saved on this phone.</strong> ${answers} waiting and will be sent when you're online.</p>`, 'pending')
}

// Send every waiting answer, oldest first. Returns how many were sent.
export async function syncAll () {
  const entries = (await outbox.all()).filter(e => e.scope === SCOPE)
  if (!entries.length) return 0
  if (!navigator.onLine) {
    pendingMessage(entries.length)
    return 0
  }
  showStatus('<p>Sending your saved answers…</p>', 'pending')
  let sent = 0
  for (const entry of entries) {
    let result
    try {
      result = await sendWhenFree(entry)
    } catch (e) {
      if (e instanceof SignedOut) signedOutMessage()
      else pendingMessage(entries.length - sent)
      return sent
    }
    if (isBusy(result)) {
      pendingMessage(entries.length - sent)
      return sent
    } else if (result.status === 200) {
      await outbox.remove(entry.id)
      sent++
    } else if (result.status === 409 || result.status === 404) {
      // Already sent (or no longer exists): nothing left to do with it.
      await outbox.remove(entry.id)
    } else if (result.status === 422) {
      showStatus(`<p>One of the answers saved on this phone needs checking. <a href="${entry.url}?check_saved=1">Check that answer</a>.</p>`, 'warning')
      return sent
    } else {
      pendingMessage(entries.length - sent)
      return sent
    }
  }
  showStatus('<p><strong>Sent.</strong> Your answers have been sent and are safe.</p>', 'sent')
  return sent
}

// Which concerns the person chose, so the offline copy of "which would you most like to
// talk about" can list them. Encrypted like the answers, and wiped with them.
async function chosenConcerns () {
  const memo = (await outbox.all()).find(e => e.scope === MEMO)
  return memo ? memo.data.chosen : []
}

async function rememberChosen (chosen) {
  await outbox.put({ id: newKey(), scope: MEMO, step: 'chosen', data: { chosen }, savedAt: 0 })
}

async function rememberDomainAnswer (form, data) {
  const inDomain = Array.from(form.querySelectorAll('input[name=concerns]'), i => i.value)
  const kept = (await chosenConcerns()).filter(id => !inDomain.includes(id))
  await rememberChosen(kept.concat(data.concerns.filter(id => id !== 'none')))
}

async function prepareOfflineTopPage (form) {
  const group = form.querySelector('[data-offline-top]')
  if (!group) return
  const chosen = await chosenConcerns()
  for (const input of group.querySelectorAll('input[name=top_concerns]')) {
    if (!chosen.includes(input.value)) input.closest('.nhsuk-checkboxes__item').remove()
  }
  if (!chosen.length) {
    const note = document.createElement('p')
    note.textContent = 'You did not choose any concerns, so there is nothing to choose here. You can continue.'
    group.replaceWith(note)
  }
}

function cachePagesForOffline (form) {
  if (!('serviceWorker' in navigator) || !form.dataset.journey) return
  const urls = JSON.parse(form.dataset.journey)
  navigator.serviceWorker.ready.then(reg => {
    if (reg.active) reg.active.postMessage({ type: 'cache-hna-pages', urls, signature: form.dataset.journeySignature })
  }).catch(() => {})
}

async function saveEntry (form, data) {
  const entry = {
    id: newKey(),
    scope: SCOPE,
    step: form.dataset.step,
    // Offline copies carry no id: the server files them under the person's current draft.
    hnaId: form.dataset.hnaId ? parseInt(form.dataset.hnaId, 10) : undefined,
    url: window.location.pathname,
    data,
    savedAt: Date.now()
  }
  await outbox.put(entry)
  return entry
}

function enhanceQuestion (form) {
  let navigating = false
  form.addEventListener('submit', async event => {
    if (navigating) return
    event.preventDefault()
    const button = form.querySelector('button')
    if (button) button.disabled = true
    const data = serialise(form)
    const entry = await saveEntry(form, data)
    if (form.dataset.step.startsWith('domain:')) await rememberDomainAnswer(form, data)
    const later = event.submitter && event.submitter.value === 'later'
    const next = later ? form.dataset.laterUrl : (form.dataset.returnUrl || form.dataset.nextUrl)
    if (!navigator.onLine) {
      window.location.assign(next)
      return
    }
    let result
    try {
      result = await sendWhenFree(entry)
    } catch (e) {
      if (e instanceof SignedOut) {
        signedOutMessage()
        if (button) button.disabled = false
        return
      }
      window.location.assign(next) // lost signal mid-send: it is safe in the outbox
      return
    }
    if (isBusy(result)) {
      window.location.assign(next) // safe in the outbox; the next page sends it
    } else if (result.status === 200) {
      await outbox.remove(entry.id)
      window.location.assign(later ? next : (form.dataset.returnUrl || result.body.next_url || next))
    } else {
      // The server did not accept it: let it show its own error page with the answers kept.
      await outbox.remove(entry.id)
      navigating = true
      if (event.submitter && form.requestSubmit) form.requestSubmit(event.submitter)
      else form.submit()
    }
  })

  // Long answers are saved as they are typed, not only on "Save and continue".
  const text = form.querySelector('textarea[name=text]')
  if (text) {
    let timer
    text.addEventListener('input', () => {
      clearTimeout(timer)
      timer = setTimeout(async () => {
        const entry = await saveEntry(form, serialise(form))
        if (!navigator.onLine) { pendingMessage(1); return }
        try {
          const result = await sendWhenFree(entry)
          if (result.status === 200) {
            await outbox.remove(entry.id)
            showStatus('<p>Saved.</p>', 'sent')
          }
        } catch (e) {
          if (e instanceof SignedOut) signedOutMessage()
          else pendingMessage(1)
        }
      }, 1500)
    })
  }
}

async function init () {
  if (!outbox.isAvailable()) return
  const form = document.querySelector('form[data-module="hna-question"]')
  const offlineCopy = document.body.dataset.offlineCopy === '1' || (form && form.dataset.shell === '1')
  if (form) {
    const waiting = (await outbox.all()).filter(e => e.scope === SCOPE && e.step === form.dataset.step)
    const latest = waiting[waiting.length - 1]
    const recheck = new URLSearchParams(window.location.search).get('check_saved') === '1'
    if (latest && (offlineCopy || recheck)) fill(form, latest.data)
    if (latest && recheck && navigator.onLine) {
      // Let the server show what needs fixing, with the saved answer in place.
      await outbox.remove(latest.id)
      form.submit()
      return
    }
    enhanceQuestion(form)
    if (offlineCopy) await prepareOfflineTopPage(form)
    else {
      await rememberChosen(JSON.parse(form.dataset.chosen || '[]'))
      if (navigator.onLine) cachePagesForOffline(form)
    }
  }
  const sendForm = document.querySelector('form[data-module="hna-submit"]')
  if (sendForm) {
    sendForm.addEventListener('submit', event => {
      if (!navigator.onLine) {
        event.preventDefault()
        showStatus('<p>You are offline. Your answers are safe. Send your assessment when you are back online.</p>', 'warning')
      }
    })
  }
  if (document.querySelector('[data-hna-sent]')) {
    // Sent: nothing about this assessment needs to stay on the phone.
    for (const memo of (await outbox.all()).filter(e => e.scope === MEMO)) await outbox.remove(memo.id)
  }
  if (offlineCopy) {
    const count = (await outbox.all()).filter(e => e.scope === SCOPE).length
    if (count) pendingMessage(count)
    else showStatus('<p>You are offline. You can keep answering: your answers will be saved on this phone and sent when you are online.</p>', 'pending')
  } else {
    const sent = await syncAll()
    if (sent && !form) window.location.reload() // show the answers that just arrived
  }
  window.addEventListener('online', async () => {
    token = null
    const sent = await syncAll()
    if (sent && offlineCopy) window.location.reload()
  })
  window.addEventListener('offline', async () => {
    const count = (await outbox.all()).filter(e => e.scope === SCOPE).length
    if (count) pendingMessage(count)
  })
}

init()
