"""Files → validated model, one room per job (import from the room):

- `reader`: `Reader`, which turns one file's values into typed ones and collects problems;
- `program`: program.yaml → Program, with its parts read by `meetings` (where the cadence
  and day are parsed, once, into `model.Cadence` and `model.DayRule`), `matching`,
  `sessions` (sessions and surveys) and `mail`;
- `members`: the roster → Members;
- `rounds`: round files → Rounds (a match's own `day:` a `DayRule` too), and the order
  they run in;
- `folder`: the whole folder (`load_folder`), with every member id checked.

Loading never raises for bad data: every wrong value becomes a Problem with its file,
line, column, key path and a hint, and loading goes on so the coordinator sees every
problem at once.
"""
