"""``python -m voting.verify BOARD.json [--receipt R.json …] [--ballot B.json …]
[--fingerprint HEX16] [--jobs N]``: the verifier's command, as the protocol names it.

The verifier itself is ``voting.protocol.verify``; like the rest of ``voting.protocol``
it imports nothing of Flask, the database or gmpy2, and the downloadable zip ships it
whole beside this file.
"""

import sys

from voting.protocol.verify import main

if __name__ == "__main__":
    sys.exit(main())
