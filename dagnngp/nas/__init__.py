"""NAS cell encodings, effective depth/width and the search-space filter."""
