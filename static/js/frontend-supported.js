// Runs before the page is first drawn: a classic script at the top of <body> (not a module, which
// waits until the page is shown), so the design system's header is laid out for JavaScript from
// the start. Without it the menu wrapped onto a second row until app.js folded it into "More", and
// everything below jumped up (Lighthouse: layout shift 0.114 on every patient page). A file, not
// the design system's inline snippet: the CSP allows no inline script.
document.documentElement.classList.remove('no-js')
// A page that answers a form post becomes an ordinary history entry in static/js/answers-post.js.
document.body.classList.add('js-enabled')
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('nhsuk-frontend-supported')
}
