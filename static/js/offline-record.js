// The person's contacts, care plan and treatment summary, kept on this phone for reading with no
// signal (issue 11; the store is offline-store.js, the server side app/main/offline_record.py).
//
// - On the signed-in patient's own pages: one request carrying the versions kept; the server
//   answers every record's version and sends only those that changed. A record the person no
//   longer has is forgotten; one confirmed current has its "saved on" date moved to today.
// - On the offline page (which the service worker shows for any page it cannot fetch): the
//   record for the address the person tried to open, with the date it was saved, and a list of
//   everything kept. The record is rebuilt element by element from an allow-list (text as text,
//   links only to phone numbers, email, this site or https), never inserted as HTML: the
//   person's own free text is in it.
import { forgetRecord, isAvailable, keepRecord, keptRecords, settleWhoseStore } from './offline-store.js'

const DAY_MS = 24 * 60 * 60 * 1000

function savedOn (savedAt) {
  return new Date(savedAt).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' })
}

async function refreshKeptRecords (url) {
  const kept = await keptRecords()
  const query = new URLSearchParams(kept.map(record => [record.kind, record.version]))
  let answer
  try {
    const response = await fetch(url + '?' + query, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
    // Signed out meanwhile (401): what is kept stays readable until sign-out or the next person.
    if (!response.ok) return
    answer = await response.json()
  } catch (e) {
    return // No signal: keep what we have.
  }
  const now = Date.now()
  let position = 0
  for (const [kind, entry] of Object.entries(answer.records || {})) {
    position += 1
    const mine = kept.find(record => record.kind === kind)
    if (!entry) {
      if (mine) await forgetRecord(kind)
    } else if (typeof entry.html === 'string') {
      await keepRecord({ kind, title: entry.title, path: entry.path, version: entry.version, html: entry.html, position, savedAt: now })
    } else if (mine && mine.version === entry.version && now - mine.savedAt > DAY_MS / 2) {
      // Unchanged and confirmed so: as good as saved now (at most one rewrite a day or so).
      await keepRecord({ ...mine, title: entry.title, path: entry.path, position, savedAt: now })
    }
  }
}

const ELEMENTS = new Set(['a', 'b', 'br', 'dd', 'details', 'div', 'dl', 'dt', 'h2', 'h3', 'h4', 'li', 'ol', 'p', 'section', 'span', 'strong', 'summary', 'ul'])
const ATTRIBUTES = new Set(['class', 'id', 'role', 'aria-labelledby', 'aria-hidden'])
const LINKS = /^(tel:\+?[0-9]+|mailto:[^\s"'<>]+|https:\/\/[^\s"'<>]+|\/(?!\/)[^\s"'<>]*)$/i

// A copy of `node` made of allowed elements, attributes and links only; anything else (a script,
// an image, an event handler, a javascript: link) is left out with everything inside it.
function safeCopy (node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.data)
  if (node.nodeType !== Node.ELEMENT_NODE) return null
  const name = node.localName
  if (!ELEMENTS.has(name) || node.namespaceURI !== 'http://www.w3.org/1999/xhtml') return null
  const copy = document.createElement(name)
  for (const attribute of node.attributes) {
    if (ATTRIBUTES.has(attribute.name)) copy.setAttribute(attribute.name, attribute.value)
    else if (attribute.name === 'href' && name === 'a' && LINKS.test(attribute.value)) copy.setAttribute('href', attribute.value)
  }
  for (const child of node.childNodes) {
    const childCopy = safeCopy(child)
    if (childCopy) copy.append(childCopy)
  }
  return copy
}

export function rebuilt (html) {
  // An inert document: nothing in it runs or loads.
  const parsed = new DOMParser().parseFromString(html, 'text/html')
  const fragment = document.createDocumentFragment()
  for (const child of parsed.body.childNodes) {
    const copy = safeCopy(child)
    if (copy) fragment.append(copy)
  }
  return fragment
}

function showRecord (root, record) {
  const heading = root.querySelector('[data-offline-heading]')
  heading.textContent = record.title
  root.title = `${record.title} (saved copy) – Manage your cancer care – NHS`
  root.querySelector('[data-offline-intro]').hidden = true
  const note = root.querySelector('[data-offline-saved-on]')
  note.textContent = savedOn(record.savedAt)
  const body = root.querySelector('[data-offline-record-body]')
  body.replaceChildren(rebuilt(record.html))
  root.querySelector('[data-offline-record]').hidden = false
}

function listKept (root, records, current) {
  const list = root.querySelector('[data-offline-kept-list]')
  list.replaceChildren(...records.map(record => {
    const item = document.createElement('li')
    if (record === current) {
      item.append(`${record.title} (this page), saved on ${savedOn(record.savedAt)}`)
    } else {
      const link = document.createElement('a')
      link.href = record.path
      link.textContent = record.title
      item.append(link, `, saved on ${savedOn(record.savedAt)}`)
    }
    return item
  }))
  root.querySelector('[data-offline-kept]').hidden = false
}

async function showKeptRecords (root) {
  const records = await keptRecords()
  if (!records.length) return
  const here = records.find(record => record.path === window.location.pathname)
  if (here) showRecord(root, here)
  listKept(root, records, here)
}

export async function initOfflineRecord (root) {
  if (!isAvailable()) return
  try {
    // Every page a server rendered for someone settles whose the store is first (a member of
    // staff's page forgets a patient's records), whether or not it keeps anything itself.
    await settleWhoseStore()
    if (root.body.dataset.offlineRecordUrl) await refreshKeptRecords(root.body.dataset.offlineRecordUrl)
    if (root.querySelector('[data-offline-kept]')) await showKeptRecords(root)
  } catch (e) {
    // An enhancement: the offline page already gives 999, 111 and the person's 24-hour line.
  }
}
