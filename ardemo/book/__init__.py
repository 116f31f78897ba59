"""The book's own tooling: the student edition, the lab's self-checks and the figures chapters share.
Nothing in the library imports it."""

from . import figures, labcheck, player, student_edition, tables
from .figures import animation_html, show_images
from .player import scatter_player
from .tables import html_table

__all__ = [
    "animation_html",
    "figures",
    "html_table",
    "labcheck",
    "player",
    "scatter_player",
    "show_images",
    "student_edition",
    "tables",
]
