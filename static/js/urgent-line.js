// The offline page (and the offline copies of HNA pages) hold nothing personal, so they cannot
// carry the person's own 24-hour line. Each page of a signed-in patient fetches it and keeps it
// on this phone, encrypted, for that person only (offline-store.js); the pages kept for anyone
// fill it in from there. Another person's page (staff, another patient) forgets it, and signing
// out wipes it with everything else, so the next person on the phone never sees it. After an
// idle timeout it stays: the number matters most when signal is gone (SECURITY.md).
// The link that dials it is the one the server made (tel_link, HAZ-011: app/main/urgent_line.py
// urgent_line_of), put in through the offline record's allow-list; no link that dials is made here.
import { forgetKeptForPerson, isAvailable, keepUrgentLine, keptUrgentLine } from './offline-store.js'
import { rebuilt } from './offline-record.js'

// `owner`: the person this page was loaded for (body data-outbox-owner). A tab loaded long ago
// refreshes with the cookie of whoever is signed in now: a line for someone else is neither kept
// over this person's nor shown on their page (HAZ-003).
async function refresh (url, owner) {
  let response
  try {
    response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
  } catch (e) {
    return // No signal: keep what we have.
  }
  if (response.status === 404) {
    await forgetKeptForPerson() // Not a patient after all.
    return
  }
  // Signed out meanwhile (401): the line stays until sign-out or the next person's page.
  if (!response.ok) return
  const line = await response.json()
  if (!owner || line.owner !== owner) return
  await keepUrgentLine({ name: line.name || null, phone: line.phone || null, link: line.link || null })
}

// The team's line as the server made it (its link). A line with no link (kept by the scripts
// before lines came with their link, as {name, phone, dial}, or a number that cannot be dialled)
// is given as its name and number in plain text, as tel_link shows such a number: never the
// advice for a phone that keeps no line, when the person's own line is known (HAZ-002), and no
// link is made here (HAZ-011).
function fill (slot, line) {
  const link = line.link ? rebuilt(line.link) : null
  const number = link && link.querySelector('a[href]') ? link : line.phone
  slot.replaceChildren(`${line.name}: call `, number, ', at any time of day or night')
}

async function fillSlots (root) {
  const slots = root.querySelectorAll('[data-urgent-line]')
  if (!slots.length) return
  const line = await keptUrgentLine()
  // No line kept, or a team without one: the page's own advice (your team's line, or 111) stays.
  if (line && line.name && line.phone) slots.forEach(slot => fill(slot, line))
}

export async function initUrgentLine (root) {
  if (!isAvailable()) return
  const url = root.body.dataset.urgentLineUrl
  const owner = root.body.dataset.outboxOwner
  try {
    if (url) {
      await refresh(url, owner)
      // Loaded with no signal, or keeping a line in an older shape: kept anew the moment the
      // phone is back online, not at the person's next page. Only on a page that names its
      // person (it has the URL): the offline page cannot tell whose line a fetch would bring.
      window.addEventListener('online', () => refresh(url, owner).then(() => fillSlots(root)).catch(() => {}))
    }
    await fillSlots(root)
  } catch (e) {
    // An enhancement: the page already says to call 999 or 111.
  }
}
