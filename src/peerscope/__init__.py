"""peerscope: computational analysis of online peer-support communities.

Load forums, mailing lists and peer newsletters into one validated Parquet
corpus, then measure participation (lurkers, super-users, inequality),
reciprocity, pluralistic use of forms of support, topics and support types.

>>> import peerscope
>>> peerscope.__version__
'0.1.0'
"""

__version__ = "0.1.0"

from peerscope.memory import choose_memory_pool  # noqa: E402

choose_memory_pool()  # the system allocator for Arrow unless the user chose a pool (peerscope.memory)

from peerscope.corpus import Corpus, CorpusWriter, open_corpus  # noqa: E402
from peerscope.errors import PeerscopeError  # noqa: E402

__all__ = ["Corpus", "CorpusWriter", "PeerscopeError", "open_corpus", "__version__"]
