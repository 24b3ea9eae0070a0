"""Documents built to hurt the ingest, shared by the ingest and the service tests."""

# The probe from issue 19, rebuilt: 291 bytes whose YAML aliases expand to a 2,699,998-character title.
ALIAS_BOMB = b"""---
a: &a ["lol lol lol lol lol lol lol lol lol lol lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e]
title: *f
---
# Policy

Covered when criteria are met.
"""
