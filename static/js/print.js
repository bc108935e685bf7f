// "Print" buttons (shown only with JavaScript, by .app-js-only); no inline handlers under the CSP.
export function initPrintButtons (root) {
  for (const button of root.querySelectorAll('[data-print]')) {
    button.addEventListener('click', () => window.print())
  }
}
