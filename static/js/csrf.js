// Every fetch that changes something carries the CSRF token in a header.
export function csrfToken () {
  const meta = document.querySelector('meta[name="csrf-token"]')
  return meta ? meta.getAttribute('content') : ''
}

export async function postJSON (url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-CSRFToken': csrfToken()
    },
    body: body === undefined ? '{}' : JSON.stringify(body)
  })
  let data = {}
  try {
    data = await response.json()
  } catch (e) {
    data = {}
  }
  return { ok: response.ok, status: response.status, data }
}
