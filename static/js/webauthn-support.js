// Passkeys and security keys need the browser's WebAuthn. Without it, the buttons that would
// start the browser's dialog are switched off and the note next to them says what to do instead.
document.addEventListener('DOMContentLoaded', function () {
  if (window.PublicKeyCredential) return
  document.querySelectorAll('[data-needs-webauthn]').forEach(function (button) {
    button.disabled = true
  })
  document.querySelectorAll('[data-webauthn-unsupported]').forEach(function (note) {
    note.hidden = false
  })
})
