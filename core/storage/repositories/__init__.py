"""Small functions over a session: tenant as an argument, entities out, ORM rows never."""
