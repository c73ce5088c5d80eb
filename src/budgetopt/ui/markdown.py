"""Input text shown as typed: every markdown sign escaped before Streamlit renders it.

``st.markdown``, ``st.caption``, the alert boxes and the cells of ``st.table`` all render
markdown, so a service called ``[link](http://…)`` would become a link and ``![i](…)`` an image
fetched from elsewhere. Every text that comes from an input goes through :func:`md_text`.

Escaping is not enough for web addresses: GitHub-flavoured markdown also turns a bare
``http://…``, ``www.…`` or ``name@host.org`` into a link, found in the text after the escapes
are read. A word joiner (U+2060, invisible and zero-width) inside ``://``, after ``www`` and
after the ``@`` of an e-mail address keeps such text a text.
"""

from __future__ import annotations

import re

_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>()#+-.!|~$:"})
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?<=[\w.+-]@)(?=[-\w]+\.[-\w])")


def md_text(text: object) -> str:
    """`text` escaped for Streamlit's markdown: input text shows as typed, never as markdown
    (no bold, no links, no images fetched from elsewhere, no bare address made a link)."""
    return _AUTOLINK.sub(_JOINER, str(text)).translate(_MARKDOWN)
