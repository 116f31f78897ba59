"""Long runs that write results files, ``python -m ardemo.experiments``; chapters only read the files."""

from .pixelgnn import ENV_RESULTS_DIR, main, results_dir, results_file

__all__ = ["ENV_RESULTS_DIR", "main", "results_dir", "results_file"]
