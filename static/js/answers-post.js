// Loaded (not deferred) in the <head> of a page that answers a form post: a mistake to fix, or
// someone else's change. It makes the page an ordinary entry in the history at once, before a
// quick person can post again, so going back to it later loads the form with GET instead of
// the browser asking to "Confirm Form Resubmission" (and perhaps sending it twice). Successful
// posts never need this: they redirect (303) to a page loaded with GET. As app.js (a module,
// run only after the page has been parsed) this could come too late for a quick second post.
window.history.replaceState(window.history.state, '', window.location.href)
