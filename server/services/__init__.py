"""Services: the server's use cases, each taking a unit of work (see ``uow.py``)."""
