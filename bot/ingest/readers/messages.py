"""The user-facing rejection texts of the readers, in one place.

Each is one sentence that says what is wrong with an input and, where it can, what to do
about it; `{...}` fields are filled in by the reader that rejects.
"""

from __future__ import annotations

from typing import Final

MSG_MISSING: Final = "{path} does not exist; check the path (folders are read recursively)"
MSG_BAD_PATH: Final = "not a valid path (it holds a NUL byte or a character no file name can have)"
MSG_READER_FAILED: Final = (
    "the file could not be read as {kind} ({error}); check that it is well formed"
)
MSG_OUTSIDE: Final = (
    "not read: from chat, give a page or feed URL, or a path inside the ingest folder "
    "(GROKWATCH_INGEST_DIR)"
)
MSG_NOT_REGULAR: Final = "not a regular file (a device, socket or pipe); give a file or a folder"
MSG_UNREADABLE: Final = "cannot read the file: {error}"
MSG_EMPTY: Final = "empty file"
MSG_BLANK: Final = "empty file (only whitespace)"
MSG_TOO_BIG: Final = "file is {size}, over the {limit} limit (GROKWATCH_MAX_FILE_BYTES)"
MSG_BINARY_MAGIC: Final = "binary file (looks like {kind}); give the article as text, HTML or JSON"
MSG_BINARY_NUL: Final = "binary file (contains NUL bytes); give the article as text, HTML or JSON"
MSG_UNDECODABLE: Final = "not UTF-8 or Latin-1 text; save the file as UTF-8 and try again"
MSG_UNSUPPORTED: Final = "unsupported file type {ext}; use .txt, .md, .html, .json or .jsonl"
MSG_NO_TEXT: Final = "no article text found after parsing; the file holds no body text"
MSG_NO_TITLE_TEXT: Final = "no article text found after parsing; only a title"
MSG_BAD_FRONT_MATTER: Final = "front matter (the --- block at the top) is not valid YAML: {error}"
MSG_BAD_JSON_FILE: Final = (
    "not valid JSON ({error}); check the file, or use .jsonl for one object a line"
)
MSG_JSON_TOO_DEEP: Final = "JSON nested too deeply to read; an article is a flat object"
MSG_JSON_NUMBER: Final = "JSON holds a number too large to read ({error})"
MSG_EMPTY_JSON: Final = "JSON file holds no articles (an empty list)"
