// Passkey sign-in and registration. Options come from the server as JSON
// (base64url for binary fields); we convert them for navigator.credentials.
import { postJSON } from './csrf.js'

function b64urlToBuffer (value) {
  const padded = value.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((value.length + 3) % 4)
  const binary = atob(padded)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes.buffer
}

function bufferToB64url (buffer) {
  const bytes = new Uint8Array(buffer)
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i])
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function creationOptions (json) {
  const options = { ...json }
  options.challenge = b64urlToBuffer(json.challenge)
  options.user = { ...json.user, id: b64urlToBuffer(json.user.id) }
  options.excludeCredentials = (json.excludeCredentials || []).map(c => ({ ...c, id: b64urlToBuffer(c.id) }))
  return options
}

function requestOptions (json) {
  const options = { ...json }
  options.challenge = b64urlToBuffer(json.challenge)
  options.allowCredentials = (json.allowCredentials || []).map(c => ({ ...c, id: b64urlToBuffer(c.id) }))
  return options
}

function registrationJSON (credential) {
  const response = credential.response
  return {
    id: credential.id,
    rawId: bufferToB64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bufferToB64url(response.clientDataJSON),
      attestationObject: bufferToB64url(response.attestationObject),
      transports: typeof response.getTransports === 'function' ? response.getTransports() : []
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined
  }
}

function authenticationJSON (credential) {
  const response = credential.response
  return {
    id: credential.id,
    rawId: bufferToB64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bufferToB64url(response.clientDataJSON),
      authenticatorData: bufferToB64url(response.authenticatorData),
      signature: bufferToB64url(response.signature),
      userHandle: response.userHandle ? bufferToB64url(response.userHandle) : null
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined
  }
}

const CANCELLED = 'Passkey set-up or sign-in was cancelled or timed out. Try again.'
const SOMETHING_WRONG = 'Something went wrong. Try again.'

// Every JSON error is {error: code, detail: a sentence for the person} (app/errors.py).
function messageFrom (data) {
  return (data && (data.detail || data.error)) || SOMETHING_WRONG
}

function showError (root, message) {
  const box = root.querySelector('.app-passkey__error')
  root.querySelector('.app-passkey__message').textContent = message
  box.hidden = false
  box.focus()
}

async function runCeremony (root, button) {
  const mode = root.dataset.mode
  let leaving = false
  button.disabled = true
  root.querySelector('.app-passkey__error').hidden = true
  try {
    const options = await postJSON(root.dataset.optionsUrl)
    if (!options.ok) {
      showError(root, messageFrom(options.data))
      return
    }
    let body
    try {
      if (mode === 'register') {
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options.data) })
        body = registrationJSON(credential)
      } else {
        const credential = await navigator.credentials.get({ publicKey: requestOptions(options.data) })
        body = authenticationJSON(credential)
      }
    } catch (e) {
      showError(root, e && e.name === 'InvalidStateError' ? 'This device already has a passkey for your account.' : CANCELLED)
      return
    }
    let url = root.dataset.verifyUrl
    const nameInput = root.querySelector('[data-passkey-name]')
    if (nameInput && nameInput.value.trim()) {
      url += '?name=' + encodeURIComponent(nameInput.value.trim())
    }
    const result = await postJSON(url, body)
    if (result.ok && result.data.redirect) {
      // Stay disabled while the next page loads, so a second tap cannot start another ceremony.
      leaving = true
      window.location.assign(result.data.redirect)
      return
    }
    showError(root, messageFrom(result.data))
  } catch (e) {
    showError(root, 'We could not reach the service. Check your internet connection and try again.')
  } finally {
    if (!leaving) button.disabled = false
  }
}

export function initPasskeyCeremonies (scope) {
  scope.querySelectorAll('[data-module="passkey-ceremony"]').forEach(root => {
    const button = root.querySelector('[data-passkey-start]')
    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.hidden = true
      root.querySelector('.app-passkey__unsupported').hidden = false
      return
    }
    button.addEventListener('click', () => runCeremony(root, button))
    // This script is imported after the page has loaded: says when a tap on the button works.
    root.dataset.ready = 'true'
    if (root.dataset.tappedEarly) {
      delete root.dataset.tappedEarly
      runCeremony(root, button)
    }
  })
}
