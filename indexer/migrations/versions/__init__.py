"""The store's revisions, one file each, named after the revision id (0001, 0002, ...)."""
