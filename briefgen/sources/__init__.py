"""Sources: where articles come from and how they are cleaned.

* ``ingest`` — files, folders, globs and stdin into :class:`~briefgen.models.Article`;
* ``clean`` — page furniture, bylines and datelines out of text and HTML.
"""
