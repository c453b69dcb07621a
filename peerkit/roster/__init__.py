"""The roster as HR systems export it, one room per job.

- `columns`: `roster:` in program.yaml (the column mapping, `ignore:`, `date_format:`);
- `header`: a CSV or XLSX header renamed to member fields, unknown columns explained;
- `dates`: `left` and `pause` rewritten as ISO dates by `roster.date_format`;
- `languages`: language names → ISO 639-1 codes;
- `people`: what only the whole roster shows (one person twice, ids differing in case,
  managers outside the program).

Functions here take a list of Problems to add to (the loader's Reader is above them).
"""
