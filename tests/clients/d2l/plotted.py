"""`with_figures.py --cleared` under the name test_d2l_rnn.py runs (one implementation):

    python plotted.py chapter.py [args...]
"""
import sys

import with_figures

if __name__ == "__main__":
    sys.argv.insert(1, "--cleared")
    with_figures.main()
