"""Persistence: Redis-compatible RDB snapshots, save points, DUMP/RESTORE.

* ``crc64``, ``lzf``: the checksum and the string compression of the format;
* ``format``: constants, lengths and strings; ``listpack``, ``ziplist``,
  ``intset``, ``zipmap``: the compact blobs inside values;
* ``rdb_writer`` / ``rdb_reader``: whole files and DUMP payloads;
* ``values``: neutral values <-> the families' stored classes;
* ``status``: the INFO persistence fields; ``snapshot``: SAVE and BGSAVE
  (a forked child writes, copy-on-write); ``savepoints``: the ``save`` option
  driven by the cron; ``startup``: loading at start-up and saving at shutdown.
"""
