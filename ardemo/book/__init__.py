"""The book's own tooling: the student edition, the lab's self-checks and the figures chapters share.
Nothing in the library imports it."""

from . import figures, labcheck, student_edition
from .figures import animation_html, show_images

__all__ = ["animation_html", "figures", "labcheck", "show_images", "student_edition"]
