"""Visible signatures as Decree 30/2020, Appendix I prescribes (VS-1 … VS-11).

``spec`` (what a request asks for, pure), ``layout`` (where every line and image goes, pure),
``png`` (validated PNG with alpha -> pixels), ``fonts`` (text measurement), ``placement``
(page/rectangle, existing field, anchor text, over an official's signature) and ``stamp``
(the pyHanko stamp style that draws a layout).
"""
