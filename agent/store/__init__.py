"""The store: the only code that opens our databases (SQLite, in WAL mode) and writes our files, in a data folder
private to its owner.

- `trajectories.py` `Store`: trajectories, their screenshots (PNG files named by their sha256), and the side
  tables kept in the same file: `store.uploads` (the uploader's queue), `store.datagen` (FaraGen's proposals,
  jobs and usage) and `store.auxiliary` (the auxiliary samples data generation writes and training reads);
- `collector_ledger.py` `CollectorLedger`: a collector's own tables, beside the `Store` of what it received;
- `database.py`: how every database file is opened (the one connection policy, with its lock);
- `folder.py`: the data folder, and its private folders and files.
"""

from agent.store.folder import default_db_path, private_dir, write_private
from agent.store.trajectories import Store, TrajectoryNotFound

__all__ = ["Store", "TrajectoryNotFound", "default_db_path", "private_dir", "write_private"]
