"""Request and response schemas of the HTTP API (pydantic), one module per resource; the
pages validate the same requests with the same models. The OpenAPI document is made
from them (signsvc.web.openapi)."""
