"""The clients' I/O, written once: ``_async`` holds the source of every class that does I/O,
written for the event loop; ``_sync`` holds their blocking twins, made from it line by line by
``oxgen.unasync``. What really differs between threads and an event loop lives in
``_synchronization``."""
