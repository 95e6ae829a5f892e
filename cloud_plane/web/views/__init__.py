"""Request handlers, one module per page (``desk``, ``visit``, ``billing``) plus login, the JSON
search API and the live event stream."""
