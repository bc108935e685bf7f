// The "Add to home screen" page (templates/main/install.html), enhanced where the browser helps:
// - opened from the home screen already: say so;
// - where the browser offers to install (Chrome, Edge on Android and computers fire
//   `beforeinstallprompt`): an "Install the app" button that opens the browser's own dialog.
// Without JavaScript, or anywhere else (Safari), the written steps are all there is, and enough.

export function isStandalone (win) {
  return win.matchMedia('(display-mode: standalone)').matches || win.navigator.standalone === true
}

export function initInstallPage (root, win) {
  const standalone = root.querySelector('[data-install-standalone]')
  const offer = root.querySelector('[data-install-offer]')
  const done = root.querySelector('[data-install-done]')
  if (!standalone || !offer || !done) return
  if (isStandalone(win)) {
    standalone.hidden = false
    return
  }
  let waiting = null
  win.addEventListener('beforeinstallprompt', event => {
    // Kept for the button, so the browser's dialog opens only when the person asks for it.
    event.preventDefault()
    waiting = event
    offer.hidden = false
  })
  win.addEventListener('appinstalled', () => {
    waiting = null
    offer.hidden = true
    done.hidden = false
  })
  offer.querySelector('[data-install-button]').addEventListener('click', async event => {
    event.preventDefault()
    if (!waiting) return
    const prompt = waiting
    // A prompt can be shown once; the browser fires the event again if it may ask again.
    waiting = null
    offer.hidden = true
    await prompt.prompt()
    const choice = await prompt.userChoice
    if (choice.outcome === 'accepted') done.hidden = false
  })
}

initInstallPage(document, window)
