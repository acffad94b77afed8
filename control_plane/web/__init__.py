"""Pages for people (sign-in, OAuth consent, /dev/mail), with the session, CSRF and templates to reuse."""
