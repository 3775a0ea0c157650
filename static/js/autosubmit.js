// A form that carries a signed message back to another site (LTI deep linking) goes at once;
// its button stays for browsers without scripts.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
