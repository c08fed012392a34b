"""GeoReport v2 bodies in JSON and XML, with the spec's content types, element names and error format."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

from shanzhi.lib.errors import DomainError

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
FORMATS = tuple(CONTENT_TYPES)

# A list inside an element is written as repeated child elements with these names.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item_name = ITEM_NAMES.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item_name), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """Serialise `value` under a `root` element, UTF-8 with the XML declaration the spec asks for."""
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8",
                                                                      xml_declaration=False)


def respond(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """Answer in JSON (the value as is; lists are top-level arrays) or XML (under `root`)."""
    if fmt == "xml":
        body = to_xml(root, value)
    else:
        body = json.dumps(value, ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = "no-store" if status >= 400 else "no-cache"
    return response


def error(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The spec's error body: a list of {code, description} (XML: <errors><error>...)."""
    items = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, "errors", items, status=status)


def domain_error(fmt: str, exc: DomainError) -> HttpResponse:
    """Turn a service refusal into spec errors: one per field when fields are named."""
    if exc.fields:
        descriptions = [f"{name}: {message}" for name, messages in exc.fields.items() for message in messages]
    else:
        descriptions = [str(exc)]
    return error(fmt, exc.status, *descriptions)
