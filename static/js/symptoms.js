// The symptom form, enhanced: a symptom is sent through the same encrypted outbox as HNA answers
// (offline-store.js: kept only until the server has it, wiped at sign-out), with an
// Idempotency-Key so a retry never logs it twice. With no connection, the instruction is shown
// at once from the rules kept on this phone (symptom-rules.js), above all an emergency's number
// to call, and the person is told plainly that their team has not been told yet.
import * as outbox from './offline-store.js'
import { csrfToken } from './csrf.js'
import { levelOffline, offlineInstruction } from './symptom-rules.js'

const SCOPE = 'symptoms'

function newKey () {
  if (crypto.randomUUID) return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')
}

function serialise (form) {
  const data = {}
  for (const [name, value] of new FormData(form).entries()) {
    if (name !== 'csrf_token') data[name] = value
  }
  return data
}

function daysSinceStart (data) {
  const day = parseInt(data['started_on-day'], 10)
  const month = parseInt(data['started_on-month'], 10)
  const year = parseInt(data['started_on-year'], 10)
  if (!day || !month || !year) return null
  const started = Date.UTC(year, month - 1, day)
  const now = new Date()
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate())
  const days = Math.round((today - started) / 86400000)
  return days >= 0 ? days : null
}

async function send (form, entry) {
  const response = await fetch(form.dataset.apiUrl, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-CSRFToken': csrfToken(),
      'Idempotency-Key': entry.id
    },
    body: JSON.stringify(entry.data)
  })
  let body = {}
  try { body = await response.json() } catch (e) { body = {} }
  return { status: response.status, body }
}

function element (tag, text, className) {
  const node = document.createElement(tag)
  if (text) node.textContent = text
  if (className) node.className = className
  return node
}

function callLink (number) {
  const link = element('a', `${number.name}: ${number.phone}`)
  link.href = 'tel:' + number.dial
  return link
}

// What to do now, decided on this phone: the same words the server would give, the numbers to
// call as links, and that the team does not know yet.
function showOfflineInstruction (form, instruction) {
  const box = document.querySelector('[data-symptom-offline]')
  const emergency = instruction.level === 'emergency'
  const callout = element('div', '', emergency ? 'nhsuk-warning-callout' : 'nhsuk-inset-text')
  const heading = element('h1', emergency ? 'Call now: this could be an emergency'
    : instruction.level === 'red_flag' ? 'Contact your care team about this' : 'Your symptom is saved on this phone',
  emergency ? 'nhsuk-warning-callout__label' : 'nhsuk-heading-l')
  callout.append(heading, element('p', instruction.advice))
  if (instruction.call.length) {
    const list = element('ul')
    for (const number of instruction.call) {
      const item = element('li')
      item.append(callLink(number))
      list.append(item)
    }
    callout.append(list)
  }
  callout.append(element('p', instruction.notice))
  box.replaceChildren(callout)
  box.hidden = false
  form.hidden = true
  const pageHeading = document.querySelector('[data-symptom-heading]')
  if (pageHeading) pageHeading.hidden = true
  heading.tabIndex = -1
  heading.focus()
  window.scrollTo(0, 0)
}

function showSaved (form, count) {
  const box = document.querySelector('[data-symptom-offline]')
  box.replaceChildren(element('p', count === 1 ? 'A symptom saved on this phone is waiting to be sent to your care team.'
    : `${count} symptoms saved on this phone are waiting to be sent to your care team.`))
  box.hidden = false
}

// Send every symptom waiting on this phone, oldest first. Returns the last one's page, if any.
async function syncAll (form) {
  if (!navigator.onLine) return null
  let next = null
  for (const entry of (await outbox.all()).filter(e => e.scope === SCOPE)) {
    let result
    try {
      result = await send(form, entry)
    } catch (e) {
      return next // the connection went again: it stays in the outbox
    }
    if (result.status === 201 || result.status === 200) {
      await outbox.remove(entry.id)
      next = result.body.next_url
    } else if (result.status === 422) {
      // It needs changing: put it back in the form for the server to show what.
      await outbox.remove(entry.id)
      fillAndPost(form, entry.data)
      return null
    } else {
      return next
    }
  }
  return next
}

function fillAndPost (form, data) {
  for (const input of form.querySelectorAll('input, textarea')) {
    if (input.name === 'csrf_token' || input.name === 'form_token' || !(input.name in data)) continue
    if (input.type === 'radio') input.checked = input.value === data[input.name]
    else input.value = data[input.name]
  }
  form.hidden = false
  form.submit()
}

async function keepRules (form) {
  try {
    const response = await fetch(form.dataset.rulesUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    if (response.ok) await outbox.keepSymptomRules(await response.json())
  } catch (e) {
    // Offline already: the copy kept last time is used.
  }
}

async function init () {
  const form = document.querySelector('form[data-symptom-form][data-api-url]')
  if (!form || !outbox.isAvailable()) return
  if (navigator.onLine) await keepRules(form)
  form.addEventListener('submit', async event => {
    event.preventDefault()
    const data = serialise(form)
    const entry = { id: newKey(), scope: SCOPE, step: newKey(), data, savedAt: Date.now() }
    await outbox.put(entry)
    const next = await syncAll(form)
    if (next) {
      window.location.assign(next)
      return
    }
    if ((await outbox.all()).some(e => e.id === entry.id)) {
      const rules = await outbox.keptSymptomRules()
      const symptom = data.symptom === 'something_else' ? null : (data.symptom || null)
      const level = rules ? levelOffline(rules, symptom, data.severity, daysSinceStart(data)) : null
      // Without kept rules, or for a symptom they do not know, the emergency instruction is the safe one.
      showOfflineInstruction(form, offlineInstruction(rules || { advice: {}, urgent_line: null }, level || 'emergency'))
    }
  })
  const waiting = (await outbox.all()).filter(e => e.scope === SCOPE).length
  if (waiting && !navigator.onLine) showSaved(form, waiting)
  const next = await syncAll(form)
  if (next) window.location.assign(next)
  window.addEventListener('online', async () => {
    const sent = await syncAll(form)
    if (sent) window.location.assign(sent)
  })
}

init()
