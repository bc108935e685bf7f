// HNA pages, enhanced: answers are saved as the person goes, kept (encrypted) on the phone
// when there is no signal, and sent when the connection returns. They go through the phone's one
// outbox (form-outbox.js over offline-store.js): one entry per question, a newer answer to the
// same question replacing the one waiting, each send with its own Idempotency-Key (a retry or a
// double tap never saves twice), a busy server waited for, a stale CSRF token renewed.
import * as outbox from './offline-store.js'
import { entryFor, newKey, sendEntry, showState } from './form-outbox.js'

const SCOPE = 'hna'
const MEMO = 'hna-memo'

function statusBox () {
  return document.querySelector('[data-sync-status]')
}

// The API's URLs come from the page (templates/hna/_sync_status.html), never from here.
function urls () {
  const box = statusBox()
  return box ? box.dataset : {}
}

// The words are the page's (templates/hna/_sync_status.html); `count` fills in how many wait.
function showStatus (which, count) {
  const shown = showState(statusBox(), which)
  const counted = shown && shown.querySelector('[data-outbox-count]')
  if (counted) counted.textContent = count === 1 ? '1 answer is' : `${count} answers are`
  return shown
}

function showPending (count) {
  showStatus('waiting', count)
}

// An answer the server would not take as it is: its own page shows why, with the answer in place.
function showCheck (entry) {
  const link = showStatus('check') && statusBox().querySelector('[data-outbox-check]')
  if (link && /^\/hna\/questions\/[a-z_:-]+$/.test(entry.url)) link.href = `${entry.url}?check_saved=1`
}

// The request body the answers API reads ({step, data, hna_id}) is what an entry keeps. Entries
// kept before the HNA used the one outbox (answers in `data`, no endpoint) are read the same way.
function current (entry) {
  if (entry.apiUrl) return entry
  return { ...entry, apiUrl: urls().saveUrl, data: { step: entry.step, data: entry.data, hna_id: entry.hnaId } }
}

function answersOf (entry) {
  return current(entry).data.data || {}
}

async function waitingAnswers (step) {
  return (await outbox.all()).filter(e => e.scope === SCOPE && (step === undefined || e.step === step))
}

function send (entry) {
  const kept = current(entry)
  return sendEntry(kept, kept.apiUrl, { tokenUrl: urls().tokenUrl })
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

// Send every waiting answer, oldest first. Returns how many were sent.
export async function syncAll () {
  const entries = await waitingAnswers()
  if (!entries.length) return 0
  if (!navigator.onLine) {
    showPending(entries.length)
    return 0
  }
  showStatus('sending')
  let sent = 0
  for (const entry of entries) {
    const result = await send(entry)
    if (result.outcome === 'sent') {
      await outbox.remove(entry.id)
      sent++
    } else if (result.outcome === 'refused' && (result.status === 409 || result.status === 404)) {
      // Already sent (or no longer exists): nothing left to do with it.
      await outbox.remove(entry.id)
    } else if (result.outcome === 'refused') {
      showCheck(entry)
      return sent
    } else {
      if (result.outcome === 'signed_out') showStatus('signed-out')
      else showPending(entries.length - sent)
      return sent
    }
  }
  showStatus('sent')
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
  // Offline copies carry no id: the server files them under the person's current draft.
  const hnaId = form.dataset.hnaId ? parseInt(form.dataset.hnaId, 10) : undefined
  const step = form.dataset.step
  const entry = entryFor({
    scope: SCOPE,
    owner: document.body.dataset.outboxOwner,
    step,
    url: window.location.pathname,
    apiUrl: urls().saveUrl,
    data: { step, data, hna_id: hnaId }
  })
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
    const result = await send(entry)
    if (result.outcome === 'signed_out') {
      showStatus('signed-out')
      if (button) button.disabled = false
    } else if (result.outcome === 'sent') {
      await outbox.remove(entry.id)
      window.location.assign(later ? next : (form.dataset.returnUrl || result.body.next_url || next))
    } else if (result.outcome === 'refused') {
      // The server did not accept it: let it show its own error page with the answers kept.
      await outbox.remove(entry.id)
      navigating = true
      if (event.submitter && form.requestSubmit) form.requestSubmit(event.submitter)
      else form.submit()
    } else {
      window.location.assign(next) // signal lost mid-send, or the server busy: safe in the outbox
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
        if (!navigator.onLine) { showPending(1); return }
        const result = await send(entry)
        if (result.outcome === 'sent') {
          await outbox.remove(entry.id)
          showStatus('saved')
        } else if (result.outcome === 'signed_out') showStatus('signed-out')
        else if (result.outcome === 'later') showPending(1)
      }, 1500)
    })
  }
}

async function init () {
  if (!outbox.isAvailable()) return
  const form = document.querySelector('form[data-module="hna-question"]')
  const offlineCopy = document.body.dataset.offlineCopy === '1' || (form && form.dataset.shell === '1')
  if (form) {
    const latest = (await waitingAnswers(form.dataset.step)).pop()
    const recheck = new URLSearchParams(window.location.search).get('check_saved') === '1'
    if (latest && (offlineCopy || recheck)) fill(form, answersOf(latest))
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
        showStatus('offline-send')
      }
    })
  }
  if (document.querySelector('[data-hna-sent]')) {
    // Sent: nothing about this assessment needs to stay on the phone.
    for (const memo of (await outbox.all()).filter(e => e.scope === MEMO)) await outbox.remove(memo.id)
  }
  if (offlineCopy) {
    const count = (await waitingAnswers()).length
    if (count) showPending(count)
    else showStatus('offline')
  } else {
    const sent = await syncAll()
    if (sent && !form) window.location.reload() // show the answers that just arrived
  }
  window.addEventListener('online', async () => {
    const sent = await syncAll()
    if (sent && offlineCopy) window.location.reload()
  })
  window.addEventListener('offline', async () => {
    const count = (await waitingAnswers()).length
    if (count) showPending(count)
  })
}

init()
