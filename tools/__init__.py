"""Build-time scripts that turn raw public data into the project's data files; never imported at run time."""
