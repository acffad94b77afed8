"""One reader per file format; each turns a spooled file into tables of text cells (see ``base``)."""
