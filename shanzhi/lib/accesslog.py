"""Gunicorn's access log without query strings.

Search fields carry ID numbers and phone numbers in the query string (`/people/residents/?q=330421...`),
and so does the Referer of the page a search leads to. The access log keeps method, path, status, size,
timing and agent, and leaves every query string out: of the request line, the referer, and the raw-URI
and query-string atoms a custom `access_log_format` might ask for.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

# Atoms a custom format could name that hold a query string (request headers end in "i", environ in "e").
QUERY_ATOMS = ("{referer}i", "{raw_uri}e", "{query_string}e", "{http_referer}e", "{request_uri}e")


def without_query(url: str) -> str:
    """The URL up to its query string."""
    return url.split("?", 1)[0] if url else url


class AccessLogger(Logger):
    """Gunicorn's logger with query strings dropped from the access log (error log unchanged)."""

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = " ".join([environ.get("REQUEST_METHOD", "-"), without_query(environ.get("RAW_URI", "")),
                               environ.get("SERVER_PROTOCOL", "-")])
        atoms["q"] = ""
        atoms["f"] = without_query(atoms.get("f", "-"))
        for key in QUERY_ATOMS:
            if key in atoms:
                atoms[key] = "" if key == "{query_string}e" else without_query(str(atoms[key]))
        return atoms
