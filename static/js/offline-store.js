// What this phone keeps for the person signed in on it: answers waiting to be sent, kept only
// until the server has them, their team's 24-hour line for the offline page, and their contacts,
// care plan and treatment summary for reading offline (offline-record.js, at most 30 days).
//
// A documented deviation from OWASP ASVS 5.0 14.3.3 (see SECURITY.md): entries are
// encrypted with AES-GCM under a non-extractable Web Crypto key, hold one page's answers
// each, are deleted as soon as the server confirms them, and the whole store is wiped on
// sign-out.
const DB_NAME = 'mycc-offline'
const DB_VERSION = 2
const KEYS = 'keys'
const OUTBOX = 'outbox'
// One record per kind of thing kept about the signed-in person (e.g. 'urgent-line').
const PERSON = 'person'

function request (req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

let dbPromise = null

function openDb () {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION)
      req.onupgradeneeded = () => {
        const db = req.result
        if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS)
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: 'id' })
        if (!db.objectStoreNames.contains(PERSON)) db.createObjectStore(PERSON)
      }
      req.onsuccess = () => {
        // Another tab upgrading the store or wiping it at sign-out must not wait on this one.
        req.result.onversionchange = () => {
          req.result.close()
          dbPromise = null
        }
        resolve(req.result)
      }
      req.onerror = () => reject(req.error)
    })
  }
  return dbPromise
}

// `store` may be a list of stores: `fn` then gets the transaction, to reach each of them.
async function tx (store, mode, fn) {
  const db = await openDb()
  const t = db.transaction(store, mode)
  const result = await fn(Array.isArray(store) ? t : t.objectStore(store))
  await new Promise((resolve, reject) => {
    t.oncomplete = resolve
    t.onerror = () => reject(t.error)
    t.onabort = () => reject(t.error)
  })
  return result
}

// One key per phone. Scripts on one page (the urgent line, the symptom rules) may ask for it at
// the same moment on a fresh phone: each making its own and the last one written winning left
// what the others sealed unreadable, so the page shares one promise, and a key made meanwhile in
// another tab is taken rather than overwritten (add, not put).
let keyPromise = null

function encryptionKey () {
  if (!keyPromise) keyPromise = loadOrMakeKey().catch(error => { keyPromise = null; throw error })
  return keyPromise
}

async function loadOrMakeKey () {
  const existing = await tx(KEYS, 'readonly', s => request(s.get('outbox')))
  if (existing) return existing
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  try {
    await tx(KEYS, 'readwrite', s => request(s.add(key, 'outbox')))
    return key
  } catch (e) {
    return await tx(KEYS, 'readonly', s => request(s.get('outbox')))
  }
}

async function seal (value) {
  const key = await encryptionKey()
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const plain = new TextEncoder().encode(JSON.stringify(value))
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain)
  return { iv, sealed }
}

async function unseal (record) {
  const key = await encryptionKey()
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv }, key, record.sealed)
  return JSON.parse(new TextDecoder().decode(plain))
}

export function isAvailable () {
  return typeof indexedDB !== 'undefined' && !!(window.crypto && crypto.subtle)
}

// One entry per page: a newer answer to the same page replaces the older one.
export async function put (entry) {
  await storeIsThisPagesPersons()
  const { iv, sealed } = await seal(entry)
  const existing = await all()
  await tx(OUTBOX, 'readwrite', async store => {
    for (const old of existing) {
      if (old.scope === entry.scope && old.step === entry.step) store.delete(old.id)
    }
    store.put({ id: entry.id, savedAt: entry.savedAt, iv, sealed })
  })
}

export async function all () {
  await storeIsThisPagesPersons()
  const records = await tx(OUTBOX, 'readonly', s => request(s.getAll()))
  const entries = []
  for (const record of records) {
    try {
      entries.push(await unseal(record))
    } catch (e) {
      // A record we can no longer read (key wiped) is useless: drop it.
      await remove(record.id)
    }
  }
  return entries.sort((a, b) => a.savedAt - b.savedAt)
}

export async function remove (id) {
  await tx(OUTBOX, 'readwrite', s => request(s.delete(id)))
}

// The signed-in person's team 24-hour line ({name, phone, link}; phone null when the team has
// none), replaced whenever a page of theirs loads, forgotten on any page nobody's line is for.
export async function keepUrgentLine (line) {
  await storeIsThisPagesPersons()
  const { iv, sealed } = await seal(line)
  await tx(PERSON, 'readwrite', s => request(s.put({ iv, sealed }, 'urgent-line')))
}

export async function keptUrgentLine () {
  await storeIsThisPagesPersons()
  const record = await tx(PERSON, 'readonly', s => request(s.get('urgent-line')))
  if (!record) return null
  try {
    return await unseal(record)
  } catch (e) {
    await forgetUrgentLine()
    return null
  }
}

// Opening the store creates it: when this phone keeps nothing (just wiped at sign-out), there is
// nothing to forget, and a signed-out phone should hold no store at all.
async function storeExists () {
  if (dbPromise || !indexedDB.databases) return true
  return (await indexedDB.databases()).some(d => d.name === DB_NAME)
}

export async function forgetUrgentLine () {
  if (!(await storeExists())) return
  await tx(PERSON, 'readwrite', s => request(s.delete('urgent-line')))
}

// Everything kept for the person signed in on this phone (their 24-hour line, their pathway's
// symptom rules, their kept records, whose they are) and their answers waiting to be sent,
// forgotten when someone else's page is seen here (a member of staff's, another patient's).
// The store's key stays: it is the phone's, not the person's.
export async function forgetKeptForPerson () {
  if (!(await storeExists())) return
  await tx([PERSON, OUTBOX], 'readwrite', t => {
    t.objectStore(OUTBOX).clear()
    return request(t.objectStore(PERSON).clear())
  })
}

// The symptom rules for the signed-in person's pathway (GET /my-care/symptom-rules), so that a
// symptom logged with no connection shows its instruction at once. Kept like the urgent line,
// and forgotten with it.
export async function keepSymptomRules (rules) {
  await storeIsThisPagesPersons()
  const { iv, sealed } = await seal(rules)
  await tx(PERSON, 'readwrite', s => request(s.put({ iv, sealed }, 'symptom-rules')))
}

export async function keptSymptomRules () {
  await storeIsThisPagesPersons()
  const record = await tx(PERSON, 'readonly', s => request(s.get('symptom-rules')))
  if (!record) return null
  try {
    return await unseal(record)
  } catch (e) {
    return null
  }
}

export async function wipe () {
  if (dbPromise) {
    (await dbPromise).close()
    dbPromise = null
  }
  keyPromise = null
  ownerPromise = null
  await new Promise(resolve => {
    const req = indexedDB.deleteDatabase(DB_NAME)
    req.onsuccess = req.onerror = req.onblocked = () => resolve()
  })
}

// ---------------------------------------------------------------- shared phones (issue 11)
// Whose things this store holds. A signed-in patient's page names the person (an opaque token in
// body data-outbox-owner, templates/base.html, the same one form-outbox.js marks entries with); a
// member of staff's page names nobody (""); a signed-out page, or one kept for anyone (the
// offline page), says nothing and changes nothing.
// Before a page that names someone reads or writes anything personal here, the store is made
// that person's: what another person's session left (it may simply have run out, with no
// sign-out) is forgotten first, so the next person on the phone sees none of it.
const WHOSE = 'whose'
let ownerPromise = null

function pagesPerson () {
  const body = typeof document !== 'undefined' ? document.body : null
  if (!body || !('outboxOwner' in body.dataset)) return undefined
  return body.dataset.outboxOwner
}

// Called by every page (offline-record.js) and before anything personal is read or written here.
export { storeIsThisPagesPersons as settleWhoseStore }

function storeIsThisPagesPersons () {
  if (!ownerPromise) ownerPromise = makeStoreThePagesPersons().catch(error => { ownerPromise = null; throw error })
  return ownerPromise
}

async function makeStoreThePagesPersons () {
  const person = pagesPerson()
  if (person === undefined) return
  if (person === '') return forgetKeptForPerson()
  const record = await tx(PERSON, 'readonly', s => request(s.get(WHOSE)))
  let kept = null
  if (record) {
    try {
      kept = (await unseal(record)).person
    } catch (e) {
      kept = '' // Unreadable: nobody's that we can tell, so not this person's.
    }
  }
  if (kept === person) return
  const { iv, sealed } = await seal({ person })
  await tx([PERSON, OUTBOX], 'readwrite', t => {
    // Someone else's: everything goes. Nobody's yet (a phone from before people were told
    // apart): only what is kept for reading goes; answers waiting were written by this person's
    // pages, the only pages that could write them, and are sent as before.
    if (kept !== null) t.objectStore(OUTBOX).clear()
    t.objectStore(PERSON).clear()
    return request(t.objectStore(PERSON).put({ iv, sealed }, WHOSE))
  })
}

// ---------------------------------------------------------------- kept records (issue 11)
// The person's contacts, care plan and treatment summary ({kind, title, path, version, html,
// position, savedAt}), one entry per kind, for reading offline (offline-record.js). `html` is the
// server's autoescaped fragment, only ever rebuilt from an allow-list, never inserted as HTML.
// Kept at most 30 days after the server last confirmed it current: older copies are removed
// when next read.
const RECORD = 'record:'
export const RECORD_DAYS = 30
const DAY_MS = 24 * 60 * 60 * 1000

export async function keepRecord (record) {
  await storeIsThisPagesPersons()
  const { iv, sealed } = await seal(record)
  await tx(PERSON, 'readwrite', s => request(s.put({ iv, sealed }, RECORD + record.kind)))
}

export async function forgetRecord (kind) {
  await storeIsThisPagesPersons()
  if (!(await storeExists())) return
  await tx(PERSON, 'readwrite', s => request(s.delete(RECORD + kind)))
}

export async function keptRecords (now = Date.now()) {
  await storeIsThisPagesPersons()
  if (!(await storeExists())) return []
  const range = IDBKeyRange.bound(RECORD, RECORD + '\uffff')
  const [keys, values] = await tx(PERSON, 'readonly', s => Promise.all([request(s.getAllKeys(range)), request(s.getAll(range))]))
  const records = []
  for (let i = 0; i < keys.length; i++) {
    let record = null
    try {
      record = await unseal(values[i])
    } catch (e) {
      // Unreadable (key wiped): useless, removed below.
    }
    if (record && typeof record.savedAt === 'number' && now - record.savedAt <= RECORD_DAYS * DAY_MS) {
      records.push(record)
    } else {
      await tx(PERSON, 'readwrite', s => request(s.delete(keys[i])))
    }
  }
  return records.sort((a, b) => a.position - b.position)
}
