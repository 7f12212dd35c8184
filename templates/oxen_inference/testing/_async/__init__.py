"""The fake's transport for an event loop; ``testing/_sync`` holds its blocking twin, made from it
by ``oxgen.unasync`` (see the package's ``_async``)."""
