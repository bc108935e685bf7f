// Warn before the idle timeout (WCAG 2.2.1) and offer a way to stay signed in.
import { csrfToken, postJSON } from './csrf.js'

// The idle sign-out form (templates/base.html) is posted only from here, so it carries no token of
// its own (bytes every page would send): the page's token goes in as it is sent.
function withPageToken (form) {
  if (form.elements.csrf_token) return
  const token = document.createElement('input')
  token.type = 'hidden'
  token.name = 'csrf_token'
  token.value = csrfToken()
  form.append(token)
}

export function initSessionTimeout (body) {
  const idle = parseInt(body.dataset.sessionIdle, 10)
  const warning = parseInt(body.dataset.sessionWarning, 10)
  const dialog = document.getElementById('session-timeout-dialog')
  if (!idle || !warning || !dialog || typeof dialog.showModal !== 'function') return
  const stayButton = dialog.querySelector('[data-module="stay-signed-in"]')

  let warnTimer, endTimer
  // The session has already ended on the server: the sign-in page only says why.
  const signedOut = () => window.location.assign(body.dataset.timeoutUrl)
  // Time is up here: sign out with a POST. The person's kept contacts, plan and 24-hour line stay
  // readable offline (sw-register.js, SECURITY.md); signing out on purpose forgets them.
  const idleForm = document.getElementById(body.dataset.idleSignOutForm)
  // On its submit event, which comes before the form's fields are read.
  if (idleForm) idleForm.addEventListener('submit', () => withPageToken(idleForm))
  const signOutIdle = () => {
    if (!idleForm) return signedOut()
    if (typeof idleForm.requestSubmit === 'function') return idleForm.requestSubmit()
    withPageToken(idleForm) // submit() sends no submit event
    idleForm.submit()
  }
  const schedule = (idleSeconds) => {
    clearTimeout(warnTimer)
    clearTimeout(endTimer)
    // Keep the same gap between the warning and the end if the server's limit differs.
    const warnAt = Math.max(0, idleSeconds - (idle - warning))
    warnTimer = setTimeout(() => {
      if (!dialog.open) dialog.showModal()
    }, warnAt * 1000)
    endTimer = setTimeout(signOutIdle, idleSeconds * 1000)
  }
  const staySignedIn = async () => {
    stayButton.disabled = true
    let result
    try {
      result = await postJSON(body.dataset.keepAliveUrl)
    } catch (e) {
      // Offline for a moment: keep the warning up so they can try again.
      stayButton.disabled = false
      return
    }
    stayButton.disabled = false
    // A session that has already ended is redirected to the sign-in page, which fetch follows
    // and answers 200 with HTML: only the JSON answer means the session was renewed.
    const renewed = result.ok && typeof result.data.idle_seconds === 'number'
    if (!renewed) {
      signedOut()
      return
    }
    if (dialog.open) dialog.close()
    schedule(result.data.idle_seconds)
  }

  stayButton.addEventListener('click', staySignedIn)
  // Escape closes a modal dialog; treat it as "stay signed in" rather than a silent dismissal.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault()
    staySignedIn()
  })
  // Seconds the server will still wait, when it says: a page view does not always renew the
  // session, so the full idle time would be too generous.
  const left = parseInt(body.dataset.sessionLeft, 10)
  schedule(Number.isFinite(left) ? Math.min(left, idle) : idle)
}
