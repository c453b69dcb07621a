"""Reading files safely into located values, one room per job.

- `node`: the located value tree (Node, Locations) every reader makes;
- `decode`: a file's bytes within a size limit, and their encoding (BOM, UTF-16, Windows-1252);
- `yaml_guards` and `yaml_tree`: YAML text checked (tabs, depth, alias bombs) and made a tree;
- `tables` and `grid`: CSV and XLSX sheets as text, then as located cells and records.

Nothing read here is ever evaluated.
"""
