"""Services: the only entry points pages and scripts use. Each method takes the ``Actor`` first and
checks permission and tenant itself."""
