"""Test-site page rendering: the tracker ``<script>`` tag and ``{{key}}`` page variables.

Pure string functions, so the site app stays a thin router and the rules are unit-testable.
Built-in fallback pages keep the stub usable (and testable) when ``tracker_js/site`` is absent.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping

from harness.contract.adapter import Adapter
from harness.contract.site import CLICK_TARGETS, PAGES, SitePage

TRACKER_PLACEHOLDER = "<!--TANK_TRACKER-->"
_VAR = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
_ATTR_NAME = re.compile(r"^[A-Za-z_:][-A-Za-z0-9_:.]*$")


def check_attr_name(name: str) -> str:
    """An attribute name safe to write unquoted into a tag, else ``ValueError``."""
    if not isinstance(name, str) or not _ATTR_NAME.match(name):
        raise ValueError(f"not a valid HTML attribute name: {name!r}")
    return name


def script_tag(adapter: Adapter, site_id: str, sync_url: str, extra_attrs: Mapping[str, str] | None = None) -> str:
    """``<script src="/tracker.js" data-site-id=… data-api=… …>`` with escaped values."""
    attrs: dict[str, str] = {adapter.site_attr: site_id, adapter.api_attr: sync_url}
    attrs.update(adapter.extra_attrs)
    attrs.update(extra_attrs or {})
    parts = ['src="/tracker.js"']
    parts += [f'{check_attr_name(k)}="{html.escape(str(v), quote=True)}"' for k, v in attrs.items()]
    return f"<script {' '.join(parts)}></script>"


def render(template: str, *, tag: str, page_vars: Mapping[str, str]) -> str:
    """Fill ``{{key}}`` (HTML-escaped; unknown keys → empty), then put the tracker tag in place.

    Variables are filled first so nothing inside the tracker tag is ever treated as a variable.
    """
    filled = _VAR.sub(lambda m: html.escape(str(page_vars.get(m.group(1), "")), quote=True), template)
    return filled.replace(TRACKER_PLACEHOLDER, tag)


_FALLBACK_BODY = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
{tracker}
</head>
<body>
<h1>{title} (built-in)</h1>
{elements}
<script>
document.addEventListener('click', function (e) {{
  var a = e.target && e.target.closest ? e.target.closest('a') : null;
  if (a && /^(tel:|https:\\/\\/(wa\\.me|api\\.whatsapp\\.com)\\/)/i.test(a.getAttribute('href') || '')) e.preventDefault();
}});
document.addEventListener('submit', function (e) {{ e.preventDefault(); }});
</script>
</body></html>
"""


def _fallback(page: SitePage) -> str:
    """A named page with the declared click targets that belong on it (same ids as the real site)."""
    elements = "\n".join(f"<div>{t.html}</div>" for t in CLICK_TARGETS.values() if page.name in t.pages)
    return _FALLBACK_BODY.format(title=page.title, tracker=TRACKER_PLACEHOLDER, elements=elements)


FALLBACK_PAGES: dict[str, str] = {
    **{name: _fallback(page) for name, page in PAGES.items()},
    "observer": '<!doctype html>\n<html><head><meta charset="utf-8"><title>observer</title></head>'
                "<body></body></html>\n",
}
