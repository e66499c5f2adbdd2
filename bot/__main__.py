import logging
import os
import sys

from bot.cli.main import main

code = main()
# Done: flush and leave without freeing the index object by object at interpreter exit (a third of a
# second at 100k sections, spent after the answer is printed but before the shell gets its prompt back).
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:  # `... | head` closed the pipe
    pass
logging.shutdown()
os._exit(code)
