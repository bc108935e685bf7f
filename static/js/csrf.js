// Every fetch that changes something carries the CSRF token in a header.
export function csrfToken () {
  const meta = document.querySelector('meta[name="csrf-token"]')
  return meta ? meta.getAttribute('content') : ''
}

// `token` stands in for the page's own where it has none or a stale one (form-outbox.js);
// `headers` are added (an Idempotency-Key). The response's headers come back too (Retry-After).
export async function postJSON (url, body, { token = csrfToken(), headers = {} } = {}) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-CSRFToken': token,
      ...headers
    },
    body: body === undefined ? '{}' : JSON.stringify(body)
  })
  let data = {}
  try {
    data = await response.json()
  } catch (e) {
    data = {}
  }
  return { ok: response.ok, status: response.status, data, headers: response.headers }
}
