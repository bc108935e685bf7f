// Warn before the idle timeout (WCAG 2.2.1) and offer a way to stay signed in.
import { postJSON } from './csrf.js'

export function initSessionTimeout (body) {
  const idle = parseInt(body.dataset.sessionIdle, 10)
  const warning = parseInt(body.dataset.sessionWarning, 10)
  const dialog = document.getElementById('session-timeout-dialog')
  if (!idle || !warning || !dialog || typeof dialog.showModal !== 'function') return

  let warnTimer, endTimer
  const schedule = () => {
    clearTimeout(warnTimer)
    clearTimeout(endTimer)
    warnTimer = setTimeout(() => dialog.showModal(), warning * 1000)
    endTimer = setTimeout(() => {
      window.location.assign(body.dataset.timeoutUrl)
    }, idle * 1000)
  }
  dialog.querySelector('[data-module="stay-signed-in"]').addEventListener('click', async () => {
    const result = await postJSON(body.dataset.keepAliveUrl)
    dialog.close()
    if (result.ok) schedule()
    else window.location.assign(body.dataset.timeoutUrl)
  })
  schedule()
}
