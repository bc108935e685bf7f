// The design system's script as this service uses it, bundled by scripts/build_assets.py
// (esbuild) into static/nhsuk/nhsuk-frontend.min.js. It starts only the components our pages
// can hold: code, file upload, password input and tabs are left out, as their CSS is
// (UNUSED_NHSUK_COMPONENTS), which takes about a third off the script a phone downloads.
import {
  Button, CharacterCount, Checkboxes, ErrorSummary, Header, NotificationBanner, Radios, Scroll,
  SkipLink, Table, createAll, isSupported
} from '../node_modules/nhsuk-frontend/dist/nhsuk/index.mjs'

export function initAll () {
  if (!isSupported()) return
  for (const Component of [Button, CharacterCount, Checkboxes, ErrorSummary, Header, NotificationBanner, Radios, Scroll, SkipLink, Table]) {
    createAll(Component)
  }
}
