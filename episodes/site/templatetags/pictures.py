"""`{% picture %}`: an image as `<picture>` with WebP and fallback renditions at the size it is shown."""

from django import template

register = template.Library()


@register.simple_tag
def picture(pic, width: int, height: int = 0, alt: str = "", css_class: str = "", lazy: bool = True):
    """Nothing for an empty picture; the original as a plain <img> until its renditions exist."""
    if not pic:
        return ""
    return pic.tag(width=int(width), height=int(height) or None, alt=alt, css_class=css_class, lazy=lazy)
