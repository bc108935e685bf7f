// The symptom form, enhanced: a symptom is sent through the phone's one outbox, like a request
// to be seen or an answer to the team (form-outbox.js over offline-store.js: encrypted, kept only
// until the server has it, wiped at sign-out), with an Idempotency-Key so a retry never logs it
// twice. With no connection, the instruction is shown at once from the rules kept on this phone
// (symptom-rules.js), above all an emergency's number to call, and the person is told plainly
// that their team has not been told yet.
import * as outbox from './offline-store.js'
import { entryFor, fieldsOf, fillAndPost, isSomeoneElses, sendEntry } from './form-outbox.js'
import { levelOffline, offlineInstruction } from './symptom-rules.js'
import { rebuilt } from './offline-record.js'

const SCOPE = 'symptoms'

// The symptoms kept on this phone for the person signed in now. Those kept for someone else
// (signed out by the server with no chance to wipe the phone, and someone else signed in since)
// are forgotten, never sent as this person. Kept before entries named their owner: this person's.
async function waiting (form) {
  const place = { scope: SCOPE, owner: form.dataset.outboxOwner || '' }
  const entries = (await outbox.all()).filter(e => e.scope === SCOPE)
  const theirs = entries.filter(e => e.owner !== undefined && isSomeoneElses(e, place))
  for (const entry of theirs) await outbox.remove(entry.id)
  return entries.filter(e => !theirs.includes(e))
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

function element (tag, text, className) {
  const node = document.createElement(tag)
  if (text) node.textContent = text
  if (className) node.className = className
  return node
}

// "Name: number", the number a link that dials it: the link as symptom-rules.js gives it (999
// and 111 written as dialled, the person's own line as the server made it), put in through the
// offline record's allow-list, never made here (HAZ-011). A line kept with no link (before lines
// came with their link) is its number as plain text.
function callItem (number) {
  const item = element('li')
  item.append(`${number.name}: `, number.link ? rebuilt(number.link) : number.phone)
  return item
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
    for (const number of instruction.call) list.append(callItem(number))
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
  for (const entry of await waiting(form)) {
    // Kept before entries named their endpoint: the form's.
    const sent = await sendEntry(entry, entry.apiUrl || form.dataset.apiUrl)
    if (sent.outcome === 'sent') {
      await outbox.remove(entry.id)
      next = sent.body.next_url
    } else if (sent.outcome === 'refused') {
      // It needs changing: put it back in the form for the server to show what.
      await outbox.remove(entry.id)
      fillAndPost(form, entry.data)
      return null
    } else {
      return next // no connection, signed out or the server busy: it stays in the outbox
    }
  }
  return next
}

// A page loaded long ago refreshes with the cookie of whoever is signed in now: rules (and a team
// line) for someone else are never kept over this person's (HAZ-003).
async function keepRules (form) {
  const owner = form.dataset.outboxOwner
  try {
    const response = await fetch(form.dataset.rulesUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    if (!response.ok) return
    const rules = await response.json()
    if (owner && rules.owner === owner) await outbox.keepSymptomRules(rules)
  } catch (e) {
    // Offline already: the copy kept last time is used.
  }
}

async function init () {
  const form = document.querySelector('form[data-symptom-form][data-api-url]')
  if (!form || !outbox.isAvailable()) return
  // Not awaited: on poor signal the rules fetch can hang, and the Send handler and the sending of
  // what is kept on this phone (perhaps a red flag logged offline) must not wait for it. Offline,
  // the instruction uses the rules kept last time, or the emergency one with none kept.
  if (navigator.onLine) keepRules(form)
  form.addEventListener('submit', async event => {
    event.preventDefault()
    const data = fieldsOf(new FormData(form).entries())
    const entry = entryFor({ scope: SCOPE, owner: form.dataset.outboxOwner || '', apiUrl: form.dataset.apiUrl, url: window.location.pathname, data })
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
  const kept = (await waiting(form)).length
  if (kept && !navigator.onLine) showSaved(form, kept)
  const next = await syncAll(form)
  if (next) window.location.assign(next)
  window.addEventListener('online', async () => {
    // The rules (and the line in them) kept anew at once, beside the sending: they may be in an
    // older shape. Not awaited: what to do now about a sent symptom (a red flag's advice) is
    // shown as soon as it is sent, never held back by a slow rules fetch.
    keepRules(form)
    const sent = await syncAll(form)
    if (sent) window.location.assign(sent)
  })
}

init()
