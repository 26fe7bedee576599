"""简体中文: the same project formats as English (dates YYYY-MM-DD, amounts 1,234.50); see en/formats.py."""
from config.formats.en.formats import *  # noqa: F401,F403
