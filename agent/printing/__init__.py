"""Receipt printing at the edge of the agent: templates, ESC/POS rendering, previews, queue.

Import the modules themselves (``agent.printing.worker``, ``agent.printing.queue`` …): this
package re-exports nothing, so importing it does not import python-escpos, which writes its
printer-database cache on import (see ``profiles.use_escpos_cache``).
"""
